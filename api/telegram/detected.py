"""The entities Telegram finds by itself in text nobody marked, as tdlib finds them
(find_entities in td/telegram/MessageEntity.cpp): `mention`, `bot_command`, `hashtag`, `cashtag`,
`url` and `email`. A user's app finds them before it sends; the Bot API server finds them in what
a bot sends (formatting.py puts them beside the entities it was given). Offsets and lengths in
UTF-16 code units; bots filter on them (PTB's filters.Entity, aiogram's F.entities)."""
import re
from bisect import bisect_left

from api.telegram.tlds import TLDS

# '@name' (2 to 32 of [A-Za-z0-9_]) between non-word characters; short names only gif, nft...
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")
_SHORT_NAMES = frozenset(("gif", "nft", "pic", "ufc", "vid"))
# '/cmd' or '/cmd@botname', neither touching a word character, '/', '<' or '>'
_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}"
                      r"(?:@[A-Za-z0-9_]{3,32}(?![\w/<>])|(?![\w/<>@]))")
_CASHTAG = re.compile(r"\$(?:1INCH|[A-Z]{1,8}(?![A-Z]))(?:@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_]))?")
_TAG_NAME = re.compile(r"@[A-Za-z0-9_]{0,32}")
# tdlib's separators (Zs, Zl, Zp) and its General Punctuation block, whose characters end a
# link but for the zero-width joiners and the dashes (is_url_unicode_symbol)
_SEPARATORS = "\xa0\u1680\u3000\u2000-\u200b\u200e\u200f\u2016-\u206f "
_PATH_CHAR = f'[^\n<>"\xab\xbb{_SEPARATORS}]'
_PATH_END = f'[^\n<>"\xab\xbb{_SEPARATORS}.:;,(\'?!`]'  # a path ends in none of .:;,('?!`
# a path after '/' (maybe empty), '?' or '#' (not empty); ports, then tg:// and ton:// links
_PATH = re.compile(f"/(?:{_PATH_CHAR}*{_PATH_END})?|[?#]{_PATH_CHAR}*{_PATH_END}")
# A domain's characters (is_domain_symbol), a user's before an '@' (is_user_data_symbol) and
# a protocol's (is_protocol_symbol): what scans around a '.' take in
_DOMAIN = re.compile(r"[A-Za-z0-9_.~\-\u00c0-\u167f\u1681-\u1fff\u200c\u200d\u2010-\u2015"
                     r"\u2070-\u2fff\u3001-\U0010ffff]")
_DOMAIN_OR_AT = re.compile(_DOMAIN.pattern[:-1] + "@]*")
_USER = re.compile(f"[^\n/\\[\\]{{}}()'`<>\"@\xab\xbb{_SEPARATORS}]")
_PROTOCOL = re.compile(r"[A-Za-z0-9+\-\u0080-\u009f\u00a1-\u167f\u1681-\u1fff\u200b-\u2027"
                       r"\u202a-\u202e\u2030-\u205e\u2060-\u2fff\u3001-\U0010ffff]")
_WORD = re.compile(r"\w")
_WIDE = re.compile("[\U00010000-\U0010ffff]")
_PORT = re.compile(r":0*([0-9]*)")
_TG_URL = re.compile(f"(?i:tg|ton)://[A-Za-z0-9_-]{{1,253}}(?:{_PATH.pattern})?")
# is_email_address, as the regular expression its comment gives
_EMAIL = re.compile(r"(?:[a-z0-9_-]{0,26}[.+]){0,10}[a-z0-9_-]{1,35}@"
                    r"(?:(?:[a-z0-9][a-z0-9_-]{0,28})?[a-z0-9]\.){1,6}[a-z]{2,8}",
                    re.ASCII | re.IGNORECASE)
_IPV4_PART = re.compile(r"25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]")
_DIGITS = re.compile(r"[0-9.]*")
_BAD_END = ".:;,('?!`"
_PROTOCOLS = ("http://", "https://", "ftp://", "tonsite://")
_PROTOCOL_LENGTH = {"http": 7, "https": 8, "ftp": 6, "tonsite": 10}  # with its '://'
Span = tuple[int, int, str]  # start, end (code points), type


def _letter(char: str) -> bool:
    """A hashtag's letter (is_hashtag_letter): a letter, a decimal digit, '_', ZWNJ, '·' or
    any of the Sinhala block."""
    return (char.isalpha() or char.isdecimal() or char in "_\u200c\xb7"
            or "\u0d80" <= char <= "\u0dff")


def _back(text: str, at: int, stop: int, char: re.Pattern) -> int:
    """The start of the run of `char`s that ends at `at`, not before `stop`."""
    while at > stop and char.match(text, at - 1):
        at -= 1
    return at


def _end(pattern: re.Pattern, text: str, at: int) -> int:
    """Where a match of `pattern` at `at` ends; `at` when there is none."""
    found = pattern.match(text, at)
    return found.end() if found else at


def _mentions(text: str) -> list[Span]:
    return [(m.start(), m.end(), "mention") for m in _MENTION.finditer(text)
            if m.end() - m.start() > 4 or m.group()[1:].lower() in _SHORT_NAMES]


def _commands(text: str) -> list[Span]:
    return [(m.start(), m.end(), "bot_command") for m in _COMMAND.finditer(text)]


def _hashtags(text: str) -> list[Span]:
    """'#' then letters (at least one not a digit; at most 256 kept), optionally '@botname';
    neither after a letter nor followed by another '#'."""
    found, at, size = [], text.find("#"), len(text)
    while at != -1:
        end = at + 1
        if at and _letter(text[at - 1]):
            at = text.find("#", end)
            continue
        while end < size and _letter(text[end]):
            end += 1
        letters = tag_end = min(end, at + 257)
        if tag_end == end and end < size and text[end] == "@":
            name = _end(_TAG_NAME, text, end)
            if name - end > 3:
                end = tag_end = name
        if (letters > at + 1 and not (end < size and text[end] == "#")
                and any(char.isalpha() for char in text[at + 1:letters])):
            found.append((at, tag_end, "hashtag"))
        at = text.find("#", end)
    return found


def _cashtags(text: str) -> list[Span]:
    """'$' and 1 to 8 capitals (or 1INCH), optionally '@botname', not touching a letter or '$'."""
    return [(m.start(), m.end(), "cashtag") for m in _CASHTAG.finditer(text)
            if not (m.start() and (_letter(text[m.start() - 1]) or text[m.start() - 1] == "$"))
            and not (m.end() < len(text) and (_letter(text[m.end()]) or text[m.end()] == "$"))]


def _tg_urls(text: str) -> list[Span]:
    return [(m.start(), m.end(), "url") for m in _TG_URL.finditer(text)]


def _candidates(text: str) -> list[tuple[int, int]]:
    """What might be a link or an address, around each '.' (match_urls): the domain, a user
    before an '@', a protocol before '://', a port, a path; each scan starts where the last
    one ended."""
    found, begin, size = [], 0, len(text)
    while (dot := text.find(".", begin)) != -1 and dot + 1 < size:
        if text[dot + 1] == " ":
            begin = dot + 2
            continue
        start = _back(text, dot, begin, _DOMAIN)
        stop = _end(_DOMAIN_OR_AT, text, dot)
        at = text.rfind("@", dot, stop)
        if at != -1:
            start = _back(text, start, begin, _USER)
        port = _PORT.match(text, stop)
        if port and 0 < len(port.group(1)) <= 5 and int(port.group(1)) <= 65535:
            stop = port.end()
        stop = _end(_PATH, text, stop)
        while stop > dot + 1 and text[stop - 1] == ".":
            stop -= 1
        bad = False
        if start > begin and text[start - 1] == "@":
            user = _back(text, start - 1, begin, _USER)
            bad, start = at != -1 or user == start - 1, user
        if start > begin and text.startswith("://", start - 3) and start - begin >= 6:
            protocol = text[_back(text, start - 3, begin, _PROTOCOL):start - 3].lower()
            named = [name for name in _PROTOCOL_LENGTH if protocol.endswith(name)
                     and protocol not in ("shttp", "tftp", "sftp")]
            bad = bad or not named
            start -= _PROTOCOL_LENGTH[named[-1]] if named else 0
        elif start > begin and (_WORD.match(text, start - 1) or text[start - 1] in "/#@"):
            bad = True
        if not bad:
            if stop > dot + 1:
                found.append((start, stop))
            while stop < size and text[stop] == ".":
                stop += 1
        else:
            stop = text.rfind(".", 0, stop) + 1
        begin = max(stop, dot + 1)
    return found


def _common_tld(tld: str) -> bool:
    lower = tld.lower()
    if lower != tld and lower[1:] == tld[1:]:  # "Com" is no TLD, "COM" is
        return False
    return lower in TLDS


def _url_length(url: str) -> int:
    """How much of a candidate is a link (fix_url): the path up to an unbalanced bracket and
    without a trailing `_BAD_END`; a domain of two parts at least, an IPv4 address or one
    ending in a known TLD (any TLD after a protocol). 0: no link."""
    protocol = url[:10].lower().startswith(_PROTOCOLS)
    rest = url[url.find(":") + 3:] if protocol else url
    cut = min([at for at in map(rest.find, "/?#") if at != -1] or [len(rest)])
    domain, path = rest[:cut][rest[:cut].find("@") + 1:], rest[cut:]
    domain = domain[:domain.rfind(":")] if ":" in domain else domain
    if domain.lower() == "teiegram.org":
        return 0
    depth, keep = {"(": 0, "[": 0, "{": 0}, len(path)
    for at, char in enumerate(path):
        if char in "([{":
            depth[char] += 1
        elif char in ")]}":
            depth["([{"[")]}".index(char)]] -= 1
            if min(depth.values()) < 0:
                keep = at
                break
    while keep and path[keep - 1] in _BAD_END:
        keep -= 1
    parts = domain.split(".")
    if len(parts) == 1 or any(not part or part[-1] == "-" or len(part.encode()) >= 64
                              for part in parts):
        return 0
    length = len(url) - len(path) + keep
    if len(parts) == 4 and all(_IPV4_PART.fullmatch(part) for part in parts):
        return length
    tld = parts[-1]
    if _DIGITS.fullmatch(domain) or len(tld) <= 1 or "_" in parts[-2]:
        return 0
    if tld.startswith("xn--"):
        return length if len(tld) > 5 and tld[4:].isascii() and tld[4:].isalnum() else 0
    if "_" in tld or "-" in tld or (not protocol and not _common_tld(tld)):
        return 0
    return length


def _urls(text: str) -> list[Span]:
    """Each candidate an email address, a `mailto:` one, a link, or nothing (find_urls)."""
    found: list[Span] = []
    for start, stop in _candidates(text):
        url = text[start:stop]
        if _EMAIL.fullmatch(url):
            found.append((start, stop, "email"))
        elif url.startswith("mailto:") and _EMAIL.fullmatch(url, 7):
            found.append((start + 7, stop, "email"))
        elif length := _url_length(url):
            found.append((start, start + length, "url"))
    return found


def find(text: str, commands: bool = True) -> list[dict]:
    """The entities in `text`, sorted and never overlapping (the earlier, then the longer,
    wins). `commands=False` leaves out bot commands, as tdlib does in a chat without a bot
    (skip_bot_commands), which no Telegram-surface chat is."""
    if not ("@" in text or "#" in text or "$" in text or "/" in text or "." in text):
        return []  # the common case: nothing to look for (`in` is faster than any regex)
    finders = [("@", _mentions), ("/", _commands), ("#", _hashtags), ("$", _cashtags),
               ("://", _tg_urls), (".", _urls)]
    spans = [span for char, finder in finders if char in text
             and (commands or finder is not _commands) for span in finder(text)]
    spans.sort(key=lambda span: (span[0], span[0] - span[1]))
    found: list[dict] = []
    # a character beyond U+FFFF is two UTF-16 code units: each before an offset moves it on
    wide, last = [] if text.isascii() else [m.start() for m in _WIDE.finditer(text)], 0
    for start, end, kind in spans:
        if start >= last:
            offset = start + bisect_left(wide, start)
            found.append({"type": kind, "offset": offset,
                          "length": end + bisect_left(wide, end) - offset})
            last = end
    return found


def unmarked(content: dict) -> dict:
    """The entities a user's app adds to its text and caption, where none were given."""
    found = {}
    for key, entities in (("text", "entities"), ("caption", "caption_entities")):
        if content.get(key) and entities not in content:
            if marked := find(content[key]):
                found[entities] = marked
    return found

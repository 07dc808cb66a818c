"""`parse_mode` applied as Telegram applies it (telegram.md decision 10): the text is stored
plain and its formatting becomes `entities`, offsets and lengths in UTF-16 code units.
HTML here, the Markdown modes in markdown.py. The text is then cleaned and trimmed as tdlib
does it (td/telegram/MessageEntity.cpp, fix_formatted_text), entities kept in place, and what
Telegram finds by itself (detected.py) added where no entity given is."""
import re
from collections.abc import Callable
from html.parser import HTMLParser

from api.params import INT64_MAX
from api.telegram import detected, markdown
from api.telegram.entities import Builder, link
from api.telegram.errors import bad_request
from api.telegram.render import mentioned, utf16_len

_HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
              "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
              "del": "strikethrough", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
              "a": "text_link", "blockquote": "blockquote", "span": "spoiler",
              "tg-emoji": "custom_emoji"}
People = Callable[[int], object | None]  # an account by its Telegram id, or None


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Builder()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind, values = _HTML_TAGS.get(tag), dict(attrs)
        if kind is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            raise bad_request(f"can't parse entities: unsupported start tag \"{tag}\"")
        entity: dict = {"type": kind}
        if tag == "a":
            entity = link(values.get("href") or "")
        elif tag == "blockquote" and "expandable" in values:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = values.get("emoji-id") or ""
        elif tag == "code" and self.out.open and self.out.open[-1][0] == "pre":
            language = (values.get("class") or "").removeprefix("language-")
            if language:
                self.out.open[-1][1]["language"] = language
                entity["type"] = "code_in_pre"
        self.out.start(tag, entity)

    def handle_endtag(self, tag: str) -> None:
        self.out.end(tag)

    def handle_data(self, data: str) -> None:
        self.out.add(data)


def _html(text: str) -> tuple[str, list[dict]]:
    parser = _Html()
    parser.feed(text)
    parser.close()
    plain, entities = parser.out.done()
    return plain, [e for e in entities if e["type"] != "code_in_pre"]


# Dropped from what a bot sends: `\r` (telebot's Markdown helpers end italics with one), line
# and paragraph separators, bidi embeddings and three combining vertical lines
_DROPPED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u030a\u0333\u033f")
# What tdlib counts as no text at all (strip_empty_characters): spaces of every width, and
# zero-width characters, no-break spaces and byte order marks around them
_SPACES = frozenset("\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                    "\u2009\u200a\u202f\u205f\u2800\u3000\ufffc")
_INVISIBLE = frozenset(" \n\u200b\u200c\u200d\u200e\u200f\u202e\ufeff\u00a0")
# Formatting may cover a found entity and a block quote hold one whole; nothing else may
_SPLITTABLE = frozenset(("bold", "italic", "underline", "strikethrough", "spoiler"))
_QUOTES = frozenset(("blockquote", "expandable_blockquote"))
# tdlib's order: by offset, the longer first, then by type (MessageEntity::get_type_priority)
_PRIORITY = {"bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94,
             "code": 20, "pre": 11, "text_link": 49, "text_mention": 49, "blockquote": 0,
             "expandable_blockquote": 0, "custom_emoji": 99}


_UNWANTED = re.compile("[\x00-\x09\x0b-\x1f" + "".join(sorted(_DROPPED)) + "]")  # one scan


def _clean(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Control characters but the newline become spaces and `_DROPPED` ones go; each entity
    keeps covering what it covered."""
    if not _UNWANTED.search(text):
        return text, entities
    kept: list[str] = []
    moved = [0] * (utf16_len(text) + 1)  # an old UTF-16 offset -> its new one
    old = new = 0
    for char in text:
        width = utf16_len(char)
        moved[old] = new
        if char in _DROPPED:
            old += width
            continue
        kept.append(" " if char < " " and char != "\n" else char)
        if width == 2:
            moved[old + 1] = new + 1
        old, new = old + width, new + width
    moved[old] = new
    cleaned = []
    for entity in entities:
        start, end = (moved[min(at, old)] for at in
                      (entity["offset"], entity["offset"] + entity["length"]))
        if end > start:
            cleaned.append({**entity, "offset": start, "length": end - start})
    return "".join(kept), cleaned


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Spaces and newlines go from the end (entities shortened) and from the start up to the
    first entity; a text of nothing visible is no text."""
    stripped = text.rstrip(" \n")
    if all(char in _INVISIBLE or char in _SPACES for char in stripped):
        return "", []
    end = utf16_len(stripped)
    kept = [{**entity, "length": min(entity["offset"] + entity["length"], end) - entity["offset"]}
            for entity in entities if entity["offset"] < end]
    lead = len(stripped) - len(stripped.lstrip(" \n"))
    lead = min([lead, *(entity["offset"] for entity in kept)])
    return stripped[lead:], [{**entity, "offset": entity["offset"] - lead} for entity in kept]


def _mentions(entities: list[dict], people: People) -> list[dict]:
    """A `text_mention` is stored with its user's id alone (render.py fills in the account
    when it shows the message, as it fills in `from`); one of an id no account has is
    dropped, its text kept."""
    kept = []
    for entity in entities:
        if entity["type"] == "text_mention":
            number = mentioned(entity)
            if number is None or not 0 <= number <= INT64_MAX:
                raise bad_request("can't parse entities: wrong user identifier in a text_mention")
            if people(number) is None:
                continue
            entity = {**entity, "user": {"id": number}}
        kept.append(entity)
    return kept


def _order(entity: dict) -> tuple[int, int, int]:
    kind = entity["type"]
    priority = 10 if kind == "pre" and entity.get("language") else _PRIORITY.get(kind, 50)
    return entity["offset"], -entity["length"], priority


def _merged(given: list[dict], found: list[dict]) -> list[dict]:
    """The found entities beside the given ones, as the Bot API server adds them to what a bot
    sends (merge_new_entities): none over a given entity but formatting, none across a block
    quote's edge; all in Telegram's order."""
    if not found and len(given) < 2:
        return given  # the common case: nothing to add or order
    solid = [(e["offset"], e["offset"] + e["length"]) for e in given
             if e["type"] not in _SPLITTABLE and e["type"] not in _QUOTES]
    quotes = [(e["offset"], e["offset"] + e["length"]) for e in given if e["type"] in _QUOTES]

    def fits(entity: dict) -> bool:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        return (not any(low < end and start < high for low, high in solid)
                and all(high <= start or end <= low or low <= start and end <= high
                        for low, high in quotes))
    return sorted(given + [entity for entity in found if fits(entity)], key=_order)


def parse(text: str, parse_mode: str | None, entities: list[dict] | None, people: People
          ) -> tuple[str, list[dict]]:
    """(plain text, entities). Explicit `entities` win over `parse_mode`, as in Telegram."""
    mode = (parse_mode or "").lower()
    if entities or not mode:  # a null field (telebot sends all of them) is no field
        plain, found = text, [{k: v for k, v in e.items() if v is not None} for e in entities or ()]
    elif mode == "html":
        plain, found = _html(text)
    elif mode == "markdownv2":
        plain, found = markdown.v2(text)
    elif mode == "markdown":
        plain, found = markdown.legacy(text)
    else:
        raise bad_request(f"unsupported parse_mode: {parse_mode}")
    plain, found = _trim(*_clean(plain, _mentions(found, people)))
    return plain, _merged(found, detected.find(plain))

"""`parse_mode` applied as Telegram applies it (telegram.md decision 10): the text is stored
plain and its formatting becomes `entities`, offsets and lengths in UTF-16 code units.
HTML and MarkdownV2 as the Bot API documents them; legacy Markdown's four marks. Leading and
trailing whitespace is trimmed, entities kept in place."""
import re
from collections.abc import Callable
from html.parser import HTMLParser

from api.telegram.errors import bad_request

_HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
              "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
              "del": "strikethrough", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
              "a": "text_link", "blockquote": "blockquote", "span": "spoiler",
              "tg-emoji": "custom_emoji"}
_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MENTION = "tg://user?id="
People = Callable[[int], object | None]  # an account by its Telegram id, or None


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _link(url: str) -> dict:
    """A link's entity: `tg://user?id=N` mentions the account N (a `text_mention`)."""
    if not url.startswith(_MENTION):
        return {"type": "text_link", "url": url}
    if not re.fullmatch(r"[0-9]{1,18}", url[len(_MENTION):]):
        raise bad_request(f"can't parse entities: wrong user identifier in \"{url}\"")
    return {"type": "text_mention", "user": {"id": int(url[len(_MENTION):])}}


class _Builder:
    """Plain text as it grows, and entities opened and closed at UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict] = []
        self.open: list[tuple[str, dict]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += _units(text)

    def start(self, tag: str, entity: dict) -> None:
        self.open.append((tag, {**entity, "offset": self.length}))

    def end(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(f"can't parse entities: unmatched end tag \"{tag}\"")
        _, entity = self.open.pop()
        entity["length"] = self.length - entity["offset"]
        if entity["length"] > 0:
            self.entities.append(entity)

    def done(self) -> tuple[str, list[dict]]:
        if self.open:
            raise bad_request(f"can't parse entities: unclosed \"{self.open[-1][0]}\"")
        return "".join(self.parts), sorted(self.entities, key=lambda e: e["offset"])


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Builder()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind, values = _HTML_TAGS.get(tag), dict(attrs)
        if kind is None or (tag == "span" and values.get("class") != "tg-spoiler"):
            raise bad_request(f"can't parse entities: unsupported start tag \"{tag}\"")
        entity: dict = {"type": kind}
        if tag == "a":
            entity = _link(values.get("href") or "")
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


_V2_MARKS = (("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"),
             ("~", "strikethrough"))


def _markdown(text: str, v2: bool) -> tuple[str, list[dict]]:
    out, i, n = _Builder(), 0, len(text)
    marks = _V2_MARKS if v2 else (("*", "bold"), ("_", "italic"))
    escapable = _V2_RESERVED | {"\\"} if v2 else set("_*`[")
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in escapable:
            out.add(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise bad_request("can't parse entities: can't find end of pre entity")
            body, language = text[i + 3:end], ""
            first, newline, rest = body.partition("\n")
            if newline and first and " " not in first:
                body, language = rest, first
            out.start("```", {"type": "pre", **({"language": language} if language else {})})
            out.add(body)
            out.end("```")
            i = end + 3
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise bad_request("can't parse entities: can't find end of code entity")
            out.start("`", {"type": "code"})
            out.add(text[i + 1:end])
            out.end("`")
            i = end + 1
            continue
        if char == "[":
            close = text.find("](", i)
            end = text.find(")", close) if close >= 0 else -1
            if close < 0 or end < 0:
                raise bad_request("can't parse entities: can't find end of a url")
            out.start("[", _link(text[close + 2:end]))
            inner, entities = _markdown(text[i + 1:close], v2)
            out.entities += [{**e, "offset": e["offset"] + out.length} for e in entities]
            out.add(inner)
            out.end("[")
            i = end + 1
            continue
        mark = next((m for m in marks if text.startswith(m[0], i)), None)
        if mark is not None:
            if out.open and out.open[-1][0] == mark[0]:
                out.end(mark[0])
            else:
                out.start(mark[0], {"type": mark[1]})
            i += len(mark[0])
            continue
        if v2 and char in _V2_RESERVED:
            raise bad_request(f"can't parse entities: character '{char}' is reserved and must"
                              " be escaped with the preceding '\\'")
        out.add(char)
        i += 1
    return out.done()


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    stripped = text.lstrip()
    lead = _units(text[:len(text) - len(stripped)])
    stripped = stripped.rstrip()
    end = _units(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def _mentions(entities: list[dict], people: People) -> list[dict]:
    """A `text_mention` is stored with its user's id alone (render.py fills in the account
    when it shows the message, as it fills in `from`); one of an id no account has is
    dropped, its text kept."""
    kept = []
    for entity in entities:
        if entity["type"] == "text_mention":
            user = entity.get("user")
            number = user.get("id") if isinstance(user, dict) else None
            if type(number) is not int or not 0 <= number < 1 << 63:
                raise bad_request("can't parse entities: wrong user identifier in a text_mention")
            if people(number) is None:
                continue
            entity = {**entity, "user": {"id": number}}
        kept.append(entity)
    return kept


def parse(text: str, parse_mode: str | None, entities: list[dict] | None, people: People
          ) -> tuple[str, list[dict]]:
    """(plain text, entities). Explicit `entities` win over `parse_mode`, as in Telegram."""
    mode = (parse_mode or "").lower()
    if entities or not mode:
        plain, found = text, list(entities or ())
    elif mode == "html":
        plain, found = _html(text)
    elif mode in ("markdownv2", "markdown"):
        plain, found = _markdown(text, v2=mode == "markdownv2")
    else:
        raise bad_request(f"unsupported parse_mode: {parse_mode}")
    return _trim(plain, _mentions(found, people))

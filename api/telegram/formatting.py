"""`parse_mode` applied as Telegram applies it (telegram.md decision 10): the text is stored
plain and its formatting becomes `entities`, offsets and lengths in UTF-16 code units.
HTML here, the Markdown modes in markdown.py. Leading and trailing whitespace is trimmed,
entities kept in place."""
from collections.abc import Callable
from html.parser import HTMLParser

from api.params import INT64_MAX
from api.telegram import markdown
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


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    stripped = text.lstrip()
    lead = utf16_len(text[:len(text) - len(stripped)])
    stripped = stripped.rstrip()
    end = utf16_len(stripped)
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
            number = mentioned(entity)
            if number is None or not 0 <= number <= INT64_MAX:
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
    elif mode == "markdownv2":
        plain, found = markdown.v2(text)
    elif mode == "markdown":
        plain, found = markdown.legacy(text)
    else:
        raise bad_request(f"unsupported parse_mode: {parse_mode}")
    return _trim(plain, _mentions(found, people))

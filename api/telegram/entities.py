"""Entities as a parser finds them: the plain text grows and each entity is opened and closed
at UTF-16 offsets (telegram.md decision 10), shared by the HTML and the Markdown parsers."""
from api.params import decimal
from api.telegram.errors import bad_request
from api.telegram.render import utf16_len

MENTION = "tg://user?id="


def link(url: str) -> dict:
    """A link's entity: `tg://user?id=N` mentions the account N (a `text_mention`)."""
    if not url.startswith(MENTION):
        return {"type": "text_link", "url": url}
    number = decimal(url[len(MENTION):])
    if number is None:
        raise bad_request(f"can't parse entities: wrong user identifier in \"{url}\"")
    return {"type": "text_mention", "user": {"id": number}}


class Builder:
    """Plain text as it grows, and entities opened and closed at UTF-16 offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict] = []
        self.open: list[tuple[str, dict]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def start(self, tag: str, entity: dict) -> None:
        self.open.append((tag, {**entity, "offset": self.length}))

    def end(self, tag: str, entity: dict | None = None) -> None:
        """Closes the innermost entity, which must be `tag`'s; `entity`, when only the end
        tells what it is (a link's url), replaces what was opened. An empty one is dropped."""
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(f"can't parse entities: unmatched end tag \"{tag}\"")
        _, opened = self.open.pop()
        closed = {**(entity or opened), "offset": opened["offset"]}
        closed["length"] = self.length - closed["offset"]
        if closed["length"] > 0:
            self.entities.append(closed)

    def since(self, offset: int) -> str:
        """The plain text from a UTF-16 offset on."""
        return "".join(self.parts).encode("utf-16-le")[offset * 2:].decode("utf-16-le")

    def done(self) -> tuple[str, list[dict]]:
        if self.open:
            raise bad_request(f"can't parse entities: unclosed \"{self.open[-1][0]}\"")
        return "".join(self.parts), sorted(self.entities, key=lambda e: e["offset"])

"""The two Markdown parse modes as the Bot API documents them (core.telegram.org/bots/api
#formatting-options): legacy Markdown's four marks, and MarkdownV2, whose every mark nests,
whose `\\` escapes any ASCII character (inside `code` and `pre` too) and whose lines
starting with `>` are a blockquote (`||` ending its last line: an expandable one)."""
import re

from api.telegram.entities import Builder, link
from api.telegram.errors import bad_request

_LEGACY_MARKS = (("*", "bold"), ("_", "italic"))
_RESERVED = set("_*[]()~`>#+-=|{}.!\n")  # MarkdownV2's, outside code and pre
_OPENS = (("__", "underline"), ("_", "italic"), ("*", "bold"), ("~", "strikethrough"),
          ("||", "spoiler"), ("![", "custom_emoji"), ("[", "text_link"), ("`", "code"))
_EMOJI = re.compile(r"tg://emoji\?(?:.*&)?id=(-?[0-9]{1,19})(?:&.*)?")


def _pre_start(out: Builder, text: str, i: int) -> int:
    """Opens a pre block at ```` ``` ````: a word right after it is the language, and one
    line break after that is not part of the code. Returns where the code starts."""
    i += 3
    end = i
    while end < len(text) and not text[end].isspace() and text[end] != "`":
        end += 1
    language = text[i:end] if end < len(text) and text[end] != "`" else ""
    i += len(language)
    if text[i:i + 2] in ("\r\n", "\n\r"):
        i += 2
    elif text[i:i + 1] in ("\r", "\n"):
        i += 1
    out.start("```", {"type": "pre", **({"language": language} if language else {})})
    return i


def legacy(text: str) -> tuple[str, list[dict]]:
    """Markdown: `*bold*`, `_italic_`, code, pre and links; `\\` escapes `_*`[` only."""
    out, i, n = Builder(), 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
        elif text.startswith("```", i):
            i = _pre_start(out, text, i)
            end = text.find("```", i)
            if end < 0:
                raise bad_request("can't parse entities: can't find end of pre entity")
            out.add(text[i:end])
            out.end("```")
            i = end + 3
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise bad_request("can't parse entities: can't find end of code entity")
            out.start("`", {"type": "code"})
            out.add(text[i + 1:end])
            out.end("`")
            i = end + 1
        elif char == "[":
            close = text.find("](", i)
            end = text.find(")", close) if close >= 0 else -1
            if close < 0 or end < 0:
                raise bad_request("can't parse entities: can't find end of a url")
            out.start("[", link(text[close + 2:end]))
            inner, entities = legacy(text[i + 1:close])
            out.entities += [{**e, "offset": e["offset"] + out.length} for e in entities]
            out.add(inner)
            out.end("[")
            i = end + 1
        elif (mark := next((m for m, _ in _LEGACY_MARKS if text.startswith(m, i)), None)):
            if out.open and out.open[-1][0] == mark:
                out.end(mark)
            else:
                out.start(mark, {"type": dict(_LEGACY_MARKS)[mark]})
            i += 1
        else:
            out.add(char)
            i += 1
    return out.done()


def _reserved(char: str) -> Exception:
    return bad_request(f"can't parse entities: character '{char}' is reserved and must be"
                       " escaped with the preceding '\\'")


def _unclosed(entity: dict) -> Exception:
    return bad_request(f"can't parse entities: can't find end of {entity['type']} entity")


class _V2:
    """One pass over the text with the open entities on a stack, as Telegram parses it."""

    def __init__(self, text: str) -> None:
        self.text, self.i, self.out = text, 0, Builder()
        self.quote = False  # a blockquote is open
        self.line_start = True  # nothing but marks since the last line break: `>` may quote

    def parse(self) -> tuple[str, list[dict]]:
        text, n = self.text, len(self.text)
        while self.i < n:
            char, tag = text[self.i], self.out.open[-1][0] if self.out.open else ""
            if char == "\\" and self.i + 1 < n and "\x00" < text[self.i + 1] <= "~":
                self._char(text[self.i + 1], self.i + 2)
            elif tag in ("`", "```"):  # code: only the closing backticks are marks
                if text.startswith(tag, self.i):
                    self.out.end(tag)
                    self.i += len(tag)
                elif char == "`":
                    raise _reserved(char)
                else:
                    self._char(char, self.i + 1, line=False)
            elif char not in _RESERVED:
                self._char(char, self.i + 1)
            elif char == "\n":
                if self.quote and not text.startswith(">", self.i + 1):
                    self._end_quote("\n")
                else:
                    self.out.add("\n")
                self.line_start, self.i = True, self.i + 1
            elif char == ">":
                if not self.line_start:
                    raise _reserved(char)
                if not self.quote:
                    self.out.start(">", {"type": "blockquote"})
                    self.quote = True
                self.i += 1
            elif self._closes(tag):
                self._close(tag)
            else:
                self._open(char)
        if self.quote:
            self._end_quote("")
        if self.out.open:
            raise _unclosed(self.out.open[-1][1])
        return self.out.done()

    def _char(self, char: str, then: int, line: bool = True) -> None:
        self.out.add(char)
        if char != "\r":
            self.line_start = line and char == "\n"
        self.i = then

    def _end_quote(self, newline: str) -> None:
        """Ends the blockquote (with its line break, if any); a spoiler opened by the `||`
        just before makes it an expandable one instead."""
        kind, (tag, entity) = "blockquote", self.out.open[-1]
        if (tag == "||" and entity["offset"] == self.out.length
                and self.text[:self.i].rstrip("\r").endswith("||")):
            self.out.open.pop()
            kind = "expandable_blockquote"
        if self.out.open[-1][0] != ">":
            raise _unclosed(self.out.open[-1][1])
        self.out.add(newline)
        self.out.end(">", {"type": kind})
        self.quote = False

    def _closes(self, tag: str) -> bool:
        text, i = self.text, self.i
        if tag in ("[", "!["):
            return text[i] == "]"
        if tag == "_":
            return text[i] == "_" and not text.startswith("__", i)
        return tag in ("*", "__", "~", "||") and text.startswith(tag, i)

    def _close(self, tag: str) -> None:
        if tag not in ("[", "!["):
            self.out.end(tag)
            self.i += len(tag)
            return
        self.i += 1
        opened = self.out.open[-1][1]
        if tag == "[":
            url = self._url() if self.text.startswith("(", self.i) else \
                self.out.since(opened["offset"])
            self.out.end(tag, link(url))
            return
        if not self.text.startswith("(", self.i):
            raise bad_request("can't parse entities: the entity must contain a tg://emoji URL")
        found = _EMOJI.fullmatch(self._url())
        if found is None or not 0 < abs(int(found.group(1))) < 1 << 63:
            raise bad_request("can't parse entities: invalid tg://emoji URL specified")
        self.out.end(tag, {"type": "custom_emoji", "custom_emoji_id": str(int(found.group(1)))})

    def _url(self) -> str:
        """The `(url)` after a link's text, `\\` escaping as in the text."""
        text, i, url = self.text, self.i + 1, []
        while i < len(text) and text[i] != ")":
            escaped = text[i] == "\\" and i + 1 < len(text) and "\x00" < text[i + 1] <= "~"
            url.append(text[i + 1] if escaped else text[i])
            i += 2 if escaped else 1
        if i == len(text):
            raise bad_request("can't parse entities: can't find end of a url")
        self.i = i + 1
        return "".join(url)

    def _open(self, char: str) -> None:
        if self.text.startswith("```", self.i):
            self.i = _pre_start(self.out, self.text, self.i)
            return
        for mark, kind in _OPENS:
            if self.text.startswith(mark, self.i):
                self.out.start(mark, {"type": kind})
                self.i += len(mark)
                return
        raise _reserved(char)


def v2(text: str) -> tuple[str, list[dict]]:
    return _V2(text).parse()

"""MarkdownV2 as the Bot API documents it (core.telegram.org/bots/api#markdownv2-style,
telegram.md decision 10): escapes inside code and pre as PTB's `escape_markdown` writes them,
blockquotes (expandable ones too) for lines starting with `>`, custom emoji as `![..](tg://
emoji?id=..)`; the bad paths answer 400 and append nothing (research-compat §1.2)."""
import pytest
from telegram.helpers import escape_markdown

from tests.telegram.conftest import User, new_bot, new_user
from tests.telegram.test_surface_params import failed, log_position, ok

pytestmark = pytest.mark.slow
EMOJI_ID = "5368324170671202286"


@pytest.fixture
def pair(http) -> tuple[str, User]:
    return new_bot(http)["bot_api_token"], new_user(http)


def sent(http, pair: tuple[str, User], text: str, parse_mode: str = "MarkdownV2"
         ) -> tuple[str, list[dict] | None]:
    """The text and entities the bot gets back, checked against what the user is shown."""
    token, user = pair
    message = ok(http.post(f"/bot{token}/sendMessage", json={
        "chat_id": user.id, "text": text, "parse_mode": parse_mode}))
    assert isinstance(message, dict)
    shown = user.wait_for(1)[0]["message"]
    assert (shown["text"], shown.get("entities")) == (message["text"], message.get("entities"))
    return message["text"], message.get("entities")


def test_code_and_pre_undo_the_escapes_ptbs_escape_markdown_writes(http, pair):
    """Inside code and pre only '`' and '\\' must be escaped; the backslash is not shown."""
    code, pre = r"a `tick` and a \ slash", "print('`\\n`')\n\\o/"
    text, entities = sent(http, pair, f"`{escape_markdown(code, 2, 'code')}` then ```python\n"
                                      f"{escape_markdown(pre, 2, 'pre')}```")
    assert text == f"{code} then {pre}"
    assert entities == [{"type": "code", "offset": 0, "length": len(code)},
                        {"type": "pre", "offset": len(code) + 6, "length": len(pre),
                         "language": "python"}]


def test_lines_starting_with_gt_are_a_blockquote_and_a_closing_bar_pair_expands_one(http, pair):
    """The Bot API's own example: `**>` (an empty bold, then `>`) starts a second quote right
    after the first; `||` ending its last line makes it expandable."""
    first = ["Block quotation started", "Block *quotation* continued", "The last line"]
    second = ["The expandable block quotation started", "Hidden by default", "The last line"]
    text, entities = sent(http, pair, "\n".join(
        [f">{line}" for line in first] + [f"**>{second[0]}"] + [f">{line}" for line in
                                                                 second[1:]]) + "||\nafter")
    plain = [line.replace("*", "") for line in first]
    assert text == "\n".join(plain + second + ["after"])
    quoted = len("\n".join(plain)) + 1  # a quote ends with its line break
    assert entities == [
        {"type": "blockquote", "offset": 0, "length": quoted},
        {"type": "bold", "offset": len(first[0]) + 7, "length": len("quotation")},
        {"type": "expandable_blockquote", "offset": quoted,
         "length": len("\n".join(second)) + 1}]
    assert sent(http, pair, ">one line||") == (
        "one line", [{"type": "expandable_blockquote", "offset": 0, "length": 8}])
    assert sent(http, pair, "\\>not a quote") == (">not a quote", None)


def test_custom_emoji_in_markdown_is_the_entity_html_gives(http, pair):
    markdown = sent(http, pair, f"![👍](tg://emoji?id={EMOJI_ID}) *fine*")
    assert markdown == sent(http, pair, f'<tg-emoji emoji-id="{EMOJI_ID}">👍</tg-emoji> '
                                        "<b>fine</b>", "HTML")
    assert markdown == ("👍 fine", [
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": EMOJI_ID},
        {"type": "bold", "offset": 3, "length": 4}])


@pytest.mark.parametrize(("text", "description"), [
    ("a > b", "character '>' is reserved and must be escaped with the preceding '\\'"),
    ("*x*>", "character '>' is reserved and must be escaped with the preceding '\\'"),
    (">*bold\nout*", "can't find end of bold entity"),
    ("```\na`b```", "character '`' is reserved and must be escaped with the preceding '\\'"),
    ("`a\\`", "can't find end of code entity"),
    ("![👍](https://example.com)", "invalid tg://emoji URL specified"),
    ("![👍](tg://emoji?id=0)", "invalid tg://emoji URL specified"),
    ("![👍] x", "the entity must contain a tg://emoji URL"),
    ("a!", "character '!' is reserved and must be escaped with the preceding '\\'")])
def test_bad_markdown_v2_is_a_400_and_appends_nothing(server, http, pair, text, description):
    token, user = pair
    before = log_position(server)
    failed(http.post(f"/bot{token}/sendMessage", json={
        "chat_id": user.id, "text": text, "parse_mode": "MarkdownV2"}), 400,
        f"Bad Request: can't parse entities: {description}")
    assert log_position(server) == before

"""The entities Telegram finds by itself (api/telegram/detected.py, after tdlib's find_entities):
each kind and each boundary rule, UTF-16 offsets, what must not be found; then how they sit
beside a bot's own entities (formatting.parse) and, end to end, what real bots see of a user's
text (PTB's `filters.Entity`, aiogram's `F.entities[...]`) and what a user sees of a bot's."""
import pytest

from api.telegram import detected, formatting
from tests.telegram.conftest import User, new_bot, new_user, running_bot

STARTUP = 60.0  # importing a bot library alone takes seconds; more on a busy machine


def covered(text: str, entity: dict) -> str:
    """The text an entity covers, counted in UTF-16 code units as Telegram counts."""
    units = text.encode("utf-16-le")
    start = entity["offset"] * 2
    return units[start:start + entity["length"] * 2].decode("utf-16-le")


def found(text: str, commands: bool = True) -> list[tuple[str, str]]:
    return [(entity["type"], covered(text, entity)) for entity in detected.find(text, commands)]


@pytest.mark.parametrize(("text", "entities"), [
    # mention: 4 to 32 of [A-Za-z0-9_] (of the 3-letter ones only gif, nft, pic, ufc, vid)
    ("hi @durov!", [("mention", "@durov")]),
    ("@ab @abc @gif @Vid", [("mention", "@gif"), ("mention", "@Vid")]),
    ("@" + "a" * 32, [("mention", "@" + "a" * 32)]),
    ("@" + "a" * 33, []),
    ("mail a@durov, @durové", []),  # after or before a word character
    # bot_command: '/' + 1 to 64 of [A-Za-z0-9_], optionally '@' + a 3 to 32 long bot name
    ("/start", [("bot_command", "/start")]),
    ("go /start@botbus_bot now", [("bot_command", "/start@botbus_bot")]),
    ("x/cmd a/b /cmd/x </cmd> /start@ab", []),  # in a word, next to '/' or '<>', short bot
    ("/" + "a" * 65, []),
    # hashtag: letters and digits, at least one letter; not after a letter, not before '#'
    ("#news #тег #a_1 #1a", [("hashtag", "#news"), ("hashtag", "#тег"), ("hashtag", "#a_1"),
                             ("hashtag", "#1a")]),
    ("#123 a#tag #a#b", []),
    ("#tag@botbus_bot", [("hashtag", "#tag@botbus_bot")]),
    ("#" + "a" * 300, [("hashtag", "#" + "a" * 256)]),  # kept to its first 256 letters
    # cashtag: '$' + 1 to 8 capitals (or 1INCH), not touching a letter or '$'
    ("$USD, $1INCH and $usd", [("cashtag", "$USD"), ("cashtag", "$1INCH")]),
    ("$ABCDEFGHI a$USD $$USD $USDé", []),
    ("$USD@botbus_bot", [("cashtag", "$USD@botbus_bot")]),
    # url: a known TLD (any TLD after a protocol), trailing punctuation left out
    ("see example.com.", [("url", "example.com")]),
    ("https://example.com/a_(b).", [("url", "https://example.com/a_(b)")]),
    ("(https://example.com/x)", [("url", "https://example.com/x")]),
    ("botbus.io:8080/path?q=1#top!", [("url", "botbus.io:8080/path?q=1#top")]),
    ("file.txt, setup.py", [("url", "setup.py")]),  # .py is Paraguay's
    ("example.Com example.COM", [("url", "example.COM")]),
    ("http://botbus.internal", [("url", "http://botbus.internal")]),
    ("1.2.3.4 and 999.1.1.1", [("url", "1.2.3.4")]),
    ("http://localhost foo_bar.com sftp://example.com v1.2.3 e.g.", []),
    ("tg://resolve?domain=botbus", [("url", "tg://resolve?domain=botbus")]),
    # email: user@domain with a 2 to 8 letter TLD; a `mailto:` prefix is not part of it
    ("write to john.doe@mail.co.uk.", [("email", "john.doe@mail.co.uk")]),
    ("mailto:me@example.org", [("email", "me@example.org")]),
    ("a@b a@b.c", []),
    # never overlapping: the earlier, then the longer wins
    ("see example.com/#tag and me@example.org", [("url", "example.com/#tag"),
                                                 ("email", "me@example.org")]),
    ("plain text without any of them, twice. And again!", []),
])
def test_what_telegram_finds_and_what_it_does_not(text, entities):
    assert found(text) == entities


def test_offsets_and_lengths_are_utf16_code_units():
    assert detected.find("😀 @durov #tag") == [{"type": "mention", "offset": 3, "length": 6},
                                              {"type": "hashtag", "offset": 10, "length": 4}]
    # an emoji in a path is part of the link and counts two units
    assert detected.find("👍🏽 https://example.com/😀 ok") == [
        {"type": "url", "offset": 5, "length": 22}]


def test_commands_can_be_left_out():
    assert found("/start example.com", commands=False) == [("url", "example.com")]


def parsed(text: str, parse_mode: str | None = None, entities: list[dict] | None = None
           ) -> list[tuple[str, str]]:
    plain, shown = formatting.parse(text, parse_mode, entities, lambda number: None)
    return [(entity["type"], covered(plain, entity)) for entity in shown]


def test_a_bots_text_gets_them_too_but_never_over_its_own_entities():
    """tdlib's merge_new_entities: formatting may cover a found entity (same span: the found
    one first, by type), a link, code or a mention may not; a text trimmed first."""
    assert parsed("  Use /help or example.com  ") == [("bot_command", "/help"),
                                                      ("url", "example.com")]
    assert parsed("<b>example.com</b>", "HTML") == [("url", "example.com"),
                                                    ("bold", "example.com")]
    assert parsed('<a href="https://x.org">example.com</a> and <code>/start</code> /help',
                  "HTML") == [("text_link", "example.com"), ("code", "/start"),
                              ("bot_command", "/help")]
    assert parsed("*see* example\\.com", "MarkdownV2") == [("bold", "see"),
                                                         ("url", "example.com")]


def test_a_block_quote_keeps_a_found_entity_only_whole():
    quote = {"type": "blockquote", "offset": 0}
    assert parsed("see example.com", entities=[{**quote, "length": 15}]) == [
        ("blockquote", "see example.com"), ("url", "example.com")]
    assert parsed("see example.com", entities=[{**quote, "length": 9}]) == [
        ("blockquote", "see examp")]


@pytest.mark.slow
def test_a_user_text_and_caption_carry_them_to_the_bot(http):
    """What getUpdates gives: the user's app found them; a caption's in `caption_entities`."""
    bot, user = new_bot(http), new_user(http)
    base = f"/bot{bot['bot_api_token']}"
    user.send(bot["alias"], "😀 #news: $USD up, see example.com or ask @durov /start")
    user.send_document(bot["alias"], "a.txt", b"data", caption="from me@example.org")
    updates = http.post(f"{base}/getUpdates").json()["result"]
    text, document = (update["message"] for update in updates)
    assert [(e["type"], covered(text["text"], e)) for e in text["entities"]] == [
        ("hashtag", "#news"), ("cashtag", "$USD"), ("url", "example.com"),
        ("mention", "@durov"), ("bot_command", "/start")]
    assert text["entities"][0] == {"type": "hashtag", "offset": 3, "length": 5}
    assert document["caption_entities"] == [{"type": "email", "offset": 5, "length": 14}]



@pytest.mark.slow
def test_a_forwarded_or_copied_user_text_keeps_what_was_found(http):
    """The entities travel with the text, as from the user's app; the copy is the bot's."""
    bot, user, other = new_bot(http), new_user(http), new_user(http)
    base = f"/bot{bot['bot_api_token']}"
    user.send(bot["alias"], "see example.com")
    [update] = http.post(f"{base}/getUpdates").json()["result"]
    source = {"from_chat_id": user.id, "message_id": update["message"]["message_id"]}
    url = [{"type": "url", "offset": 4, "length": 11}]
    forwarded = http.post(f"{base}/forwardMessage", json={"chat_id": other.id, **source})
    assert forwarded.json()["result"]["entities"] == url
    assert http.post(f"{base}/copyMessage", json={"chat_id": other.id, **source}).json()["ok"]
    assert [item["message"]["entities"] for item in other.wait_for(2)] == [url, url]

@pytest.mark.slow
def test_a_bots_sent_url_reaches_the_users_inbox_as_an_entity(http):
    bot, user = new_bot(http), new_user(http)
    sent = http.post(f"/bot{bot['bot_api_token']}/sendMessage", json={
        "chat_id": user.id, "parse_mode": "HTML",
        "text": "<b>Docs</b>: https://botbus.dev/start, <code>example.com</code>"}).json()
    entities = [{"type": "bold", "offset": 0, "length": 4},
                {"type": "url", "offset": 6, "length": 24},
                {"type": "code", "offset": 32, "length": 11}]
    assert sent["result"]["entities"] == entities
    [item] = user.wait_for(1)
    assert item["message"]["text"] == "Docs: https://botbus.dev/start, example.com"
    assert item["message"]["entities"] == entities


def replies(user: User, count: int = 1, timeout: float = 20.0) -> list[dict]:
    return [item["message"] for item in
            user.wait_for(count, timeout, accept=lambda item: "message" in item)]


@pytest.mark.slow
def test_ptb_filters_entity_url_and_mention_match_what_was_found(server, http):
    bot, user = new_bot(http), new_user(http)
    with running_bot("ptb_entities.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "file.txt, a@b and #123")
        assert replies(user, timeout=STARTUP)[0]["text"] == "no entities"
        user.send(bot["alias"], "😀 read https://example.com/a_(b). now")
        [answer] = replies(user)
        # the bot's answer has the link found in it as well, for the user
        assert answer["text"] == "links: https://example.com/a_(b)"
        assert answer["entities"] == [{"type": "url", "offset": 7, "length": 25}]
        user.send(bot["alias"], "ask @botbus_team, not me@example.org")
        assert replies(user)[0]["text"] == "mentioned: @botbus_team"


@pytest.mark.slow
def test_aiogram_magic_filter_on_entities_and_extract_from(server, http):
    bot, user = new_bot(http), new_user(http)
    with running_bot("aiogram_entities.py", server, bot["bot_api_token"]):
        user.send(bot["alias"], "#123 x/cmd a$USD")
        assert replies(user, timeout=STARTUP)[0]["text"] == "nothing found"
        user.send(bot["alias"], "👍🏽 #news: $USD up /help@botbus_bot, me@example.org")
        assert replies(user)[0]["text"] == ("hashtag=#news cashtag=$USD "
                                            "bot_command=/help@botbus_bot email=me@example.org")

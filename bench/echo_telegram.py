"""The Botbus-Telegram side of bench/echo_vs_peer.py (`--mode telegram`): the same server and
users as bench/echo_botbus.py (featherChat v1 user API, `/v1/ws`), but the bot speaks the
Telegram surface with its `bot_api_token`: it long-polls `/bot<token>/getUpdates {"offset":
<last update_id + 1>, "timeout": 30}` (the offset confirms what came before; echo_vs_peer's bot
loop advances it) and answers with `/bot<token>/sendMessage {"chat_id": <message.chat.id>,
"text"}`, the reply the peer's bot sends too.
"""
from bench.echo_botbus import Botbus
from bench.echo_peer import Peer
from tests.servers import Server

LONG_POLL = 30  # seconds: what Telegram bot libraries ask for


class BotbusTelegram(Botbus):
    name = "Botbus"  # the same column of the table; the mode is in its title
    reply = staticmethod(Peer.reply)  # Telegram-shaped: {"chat_id": message.chat.id, "text"}

    def __init__(self, server: Server, bot: dict, tokens: list[str]) -> None:
        super().__init__(server, bot, tokens)
        token = bot["bot_api_token"]
        # one dict for the side's life: the bot loop stores the next offset in it, so a level
        # starts above what the previous level's last poll returned
        self.poll_path, self.poll_body = f"/bot{token}/getUpdates", {"offset": 0,
                                                                      "timeout": LONG_POLL}
        self.reply_path = f"/bot{token}/sendMessage"

"""Botyard's commands: bots made by the admin with a key (`<bot id>:<token>`), their
profile and commands, and anonymous web users. Validation messages are Botyard's own
(botyard.md §1.5); every rule is checked before anything is recorded."""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.accounts import AccountCommands
from domain.bots import Bot
from domain.claims import BOT_NAME, Claim, claim_id
from domain.errors import conflict, invalid, not_found
from domain.ids import AccountId, aggregate_id
from domain.profiles import ProfileCommands
from domain.tokens import derive_token, hash_token
from domain.unit import Unit
from domain.webhooks import Webhook, webhook_id

SCHEME = "botyard"
NAME_TAKEN = "Bot with this name already exists."
BOT_NOT_FOUND = "Bot not found."
COMMAND_NOT_FOUND = "Command not found."
_NAME = re.compile(r"^[a-zA-Z0-9 \-]+$")
_ALIAS = re.compile(r"^[a-z0-9_\-]+$")
_NICKNAME = re.compile(r"^[A-Za-z0-9 -]+$")
MAX_AVATAR = 256


@dataclass(frozen=True)
class BotyardBot:
    bot_id: AccountId
    key: str


def check_name(name: str) -> None:
    if not name:
        raise invalid("bot name must not be empty")
    if len(name) > 32:
        raise invalid("bot name should not be longer than 32 characters")
    if not _NAME.match(name):
        raise invalid("bot name should contain upper/lower case English letters, spaces,"
                      " dashes or numbers")


def check_profile(description: str, avatar: str) -> None:
    if len(description) > 512:
        raise invalid("bot description should not be longer than 512 characters")
    if avatar and (len(avatar) > MAX_AVATAR or urlsplit(avatar).scheme not in ("http", "https")
                   or not urlsplit(avatar).netloc):
        raise invalid("specified url is not valid")


def check_command(command: dict) -> dict:
    alias, description = command.get("alias"), command.get("description") or ""
    if not isinstance(alias, str) or not alias:
        raise invalid("command alias must not be empty")
    if len(alias) > 32:
        raise invalid("command alias should not be longer than 32 characters")
    if not _ALIAS.match(alias):
        raise invalid("command alias should contain lower case English letters, underscores,"
                      " dashes or numbers")
    if not isinstance(description, str):
        raise invalid("command description must be a string")
    if len(description) > 128:
        raise invalid("command description should not be longer than 128 characters")
    return {"command": alias, "description": description}


def check_nickname(nickname: str, shortest: int, longest: int) -> None:
    if len(nickname) < shortest:
        raise invalid(f"Nickname must be at least {shortest} characters long.")
    if len(nickname) > longest:
        raise invalid(f"Nickname should not be longer than {longest} characters.")
    if not _NICKNAME.match(nickname):
        raise invalid("Nickname should contain only upper/lower case English letters, spaces,"
                      " dashes and numbers.")


class BotyardCommands(AccountCommands, ProfileCommands):
    key_secret: bytes  # the server's (api/secrets.py): Botyard keys are derived from it

    def create_botyard_bot(self, unit: Unit, name: str, description: str,
                           avatar: str) -> BotyardBot:
        check_name(name)
        check_profile(description, avatar)
        if self._name_holder(unit, name):
            raise conflict(NAME_TAKEN)
        bot = self._new_bot(unit, name, self.ids.hex(16), None, description, avatar)
        self._claim_name(unit, name, bot.bot_id)
        return BotyardBot(bot.bot_id, self._issue_key(bot, reset=False))

    def reset_botyard_key(self, unit: Unit, bot_id: AccountId) -> str:
        return self._issue_key(self._botyard_bot(unit, bot_id), reset=True)

    def botyard_key(self, bot_id: AccountId, salt: str) -> str:
        """The key issued with `salt`, computed again (the log keeps only its hash)."""
        return f"{bot_id}:{derive_token(self.key_secret, bot_id, salt)}"

    def edit_botyard_bot(self, unit: Unit, bot_id: AccountId, name: str, description: str,
                         avatar: str) -> None:
        """Empty values change nothing (Botyard cannot clear a field either)."""
        if name:
            check_name(name)
        check_profile(description, avatar)
        bot = self._botyard_bot(unit, bot_id)
        if name and name != bot.shown_name:  # claimed before anything is recorded
            self._claim_name(unit, name, bot_id)
            self._release_name(unit, bot)
        for field, value in (("name", name), ("description", description), ("avatar", avatar)):
            if value and value != bot.profile.get(field):
                bot.change_profile(field, "", value, timestamp=self.clock())

    def add_botyard_commands(self, unit: Unit, bot_id: AccountId, commands: list[dict]) -> None:
        """Upserts by alias: the whole list is checked first, then one event."""
        checked = [check_command(command) for command in commands]
        bot = self._botyard_bot(unit, bot_id)
        merged = {command["command"]: command for command in bot.commands}
        for command in checked:
            merged[command["command"]] = {**merged.get(command["command"], {}), **command}
        self.set_commands(unit, bot_id, '{"type":"default"}', "", list(merged.values()))

    def remove_botyard_command(self, unit: Unit, bot_id: AccountId, command_id: str) -> None:
        bot = self._botyard_bot(unit, bot_id)
        kept = [command for command in bot.commands if command.get("id") != command_id]
        if len(kept) == len(bot.commands):
            raise not_found(COMMAND_NOT_FOUND)
        self.set_commands(unit, bot_id, '{"type":"default"}', "", kept)

    def delete_bot(self, unit: Unit, bot_id: AccountId) -> None:
        """Every token revoked, commands and profile gone (Bot.Deleted), the webhook deleted
        (its own event), the name free for a new bot."""
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found(BOT_NOT_FOUND)
        now = self.clock()
        webhook = unit.get(webhook_id(bot.fingerprint))
        if isinstance(webhook, Webhook):
            webhook.delete(timestamp=now)
        self._release_name(unit, bot)
        bot.delete(timestamp=now)

    def register_web_user(self, unit: Unit, nickname: str, shortest: int,
                          longest: int) -> AccountId:
        """Botyard's "login": always a new anonymous user, known by its cookie alone."""
        check_nickname(nickname, shortest, longest)
        return self.register_user(unit, self.ids.hex(32), name=nickname).user_id

    def _issue_key(self, bot: Bot, reset: bool) -> str:
        salt = self.ids.secret(16)
        key = self.botyard_key(bot.bot_id, salt)
        issue = bot.reset_token if reset else bot.issue_token
        issue(SCHEME, hash_token(key), timestamp=self.clock(), salt=salt)
        return key

    @staticmethod
    def _name_holder(unit: Unit, name: str) -> str:
        claim = unit.get(claim_id(BOT_NAME, name))
        return claim.owner_id if isinstance(claim, Claim) else ""

    def _claim_name(self, unit: Unit, name: str, owner_id: str) -> None:
        claim = unit.get(claim_id(BOT_NAME, name))
        if isinstance(claim, Claim):
            if claim.owner_id:
                raise conflict(NAME_TAKEN)
            claim.reclaim(owner_id, timestamp=self.clock())
        else:
            unit.add(Claim(namespace=BOT_NAME, name=name, owner_id=owner_id,
                           timestamp=self.clock()))

    def _release_name(self, unit: Unit, bot: Bot) -> None:
        claim = unit.get(claim_id(BOT_NAME, bot.shown_name))
        if isinstance(claim, Claim) and claim.owner_id == bot.bot_id:
            claim.release(timestamp=self.clock())

    def _botyard_bot(self, unit: Unit, bot_id: AccountId) -> Bot:
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found(BOT_NOT_FOUND)
        return bot

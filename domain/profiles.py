"""Bot profile commands: the command menu, name and descriptions a bot sets for itself, and
the update types it wants. Shared by every dialect that lets a bot describe itself."""
from domain.bots import DEFAULT_SCOPE, Bot
from domain.clock import Clock
from domain.errors import not_found
from domain.ids import AccountId, Ids, aggregate_id
from domain.unit import Unit

PROFILE_FIELDS = ("name", "description", "short_description", "avatar", "bio")


class ProfileCommands:
    clock: Clock
    ids: Ids

    def set_commands(self, unit: Unit, bot_id: AccountId, scope: str, language_code: str,
                     commands: list[dict]) -> None:
        """The default menu's commands carry ids (Botyard names them by id): a command keeps
        its id while its name stays, a new one gets a new ULID."""
        bot = self._bot(unit, bot_id)
        if scope == DEFAULT_SCOPE and not language_code:
            ids = {command["command"]: command.get("id") for command in bot.commands}
            commands = [{**command, "id": command.get("id") or ids.get(command["command"])
                         or self.ids.ulid()} for command in commands]
        bot.set_commands(scope, language_code, commands, timestamp=self.clock())

    def change_profile(self, unit: Unit, bot_id: AccountId, field: str, language_code: str,
                       value: str) -> None:
        assert field in PROFILE_FIELDS, field
        self._bot(unit, bot_id).change_profile(field, language_code, value,
                                               timestamp=self.clock())

    def filter_updates(self, unit: Unit, bot_id: AccountId, allowed: list[str]) -> bool:
        return self._bot(unit, bot_id).filter_updates(allowed, timestamp=self.clock())

    @staticmethod
    def _bot(unit: Unit, bot_id: AccountId) -> Bot:
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found("bot not found")
        return bot

"""MaxChat's developer apps: each owns a bot of the one registry, whose `mbt_` token is one
more hashed scheme (shown once, reset at will), installed into servers with a role of its
own."""
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.accounts import AccountCommands
from domain.bots import Bot
from domain.errors import forbidden, not_found
from domain.guilds import PERMISSIONS, Guild
from domain.ids import AccountId, aggregate_id, named_id
from domain.servers import ServerCommands, check_name, check_permissions, snowflake
from domain.tokens import hash_token
from domain.unit import Unit

SCHEME = "maxchat"


class App(Aggregate):
    class Created(Aggregate.Created):
        app_id: str
        owner_id: str
        bot_id: str
        name: str

    class Renamed(Aggregate.Event):
        app_id: str
        name: str

        def apply(self, app: "App") -> None:
            app.name = self.name

    @staticmethod
    def create_id(app_id: str, **_: object) -> UUID:
        return app_aggregate_id(app_id)

    @event(Created)
    def __init__(self, app_id: str, owner_id: str, bot_id: str, name: str,
                 timestamp: datetime) -> None:
        self.app_id, self.owner_id, self.bot_id, self.name = app_id, owner_id, bot_id, name


def app_aggregate_id(app_id: str) -> UUID:
    return named_id("app", app_id)


@dataclass(frozen=True)
class NewApp:
    app_id: str
    bot_id: AccountId
    token: str


class AppCommands(AccountCommands, ServerCommands):
    def create_app(self, unit: Unit, owner_id: str, name: str) -> NewApp:
        name = check_name(name, "name", 32)
        bot = self._new_bot(unit, name, self.ids.hex(16), None, "")
        app_id = snowflake(self.ids)
        unit.add(App(app_id=app_id, owner_id=owner_id, bot_id=bot.bot_id, name=name,
                     timestamp=self.clock()))
        return NewApp(app_id, bot.bot_id, self._issue_bot_token(bot, reset=False))

    def owned_app(self, unit: Unit, app_id: str, owner_id: str | None) -> App:
        """The app (if `owner_id` owns it; None: whoever owns it, as an install allows)."""
        app = unit.get(app_aggregate_id(app_id)) if app_id else None
        if not isinstance(app, App) or owner_id not in (None, app.owner_id):
            raise not_found("app not found")
        return app

    def rename_app(self, unit: Unit, app: App, name: str) -> None:
        name = check_name(name, "name", 32)
        now = self.clock()
        app.trigger_event(App.Renamed, app_id=app.app_id, name=name, timestamp=now)
        self._app_bot(unit, app).change_profile("name", "", name, timestamp=now)

    def reset_app_token(self, unit: Unit, app: App) -> str:
        """The old token stops at once (its gateway sockets close with 4004)."""
        return self._issue_bot_token(self._app_bot(unit, app), reset=True)

    def install_app(self, unit: Unit, app: App, guild: Guild, installer: str,
                    permissions: list[str] | None) -> bool:
        """The bot joins with a role of its own (decision 4); False if it is there already."""
        granted = check_permissions([p for p in PERMISSIONS if p != "administrator"]
                                    if permissions is None else permissions)
        if not guild.may(installer, "administrator"):
            raise forbidden("only the server owner or an administrator can install an app")
        if app.app_id in guild.installs and app.bot_id in guild.members:
            return False  # (an older snapshot may list the app of a bot since kicked)
        if app.bot_id in guild.bans:
            raise forbidden("the app's bot is banned from this server")
        now, role_id = self.clock(), snowflake(self.ids)
        guild.record(Guild.RoleCreated, now, role_id=role_id, name=app.name, color=0,
                     permissions=granted, position=len(guild.roles))
        guild.record(Guild.MemberJoined, now, user_id=app.bot_id, via="install")
        guild.record(Guild.MemberUpdated, now, user_id=app.bot_id, nick=None, role_ids=[role_id])
        guild.record(Guild.AppInstalled, now, app_id=app.app_id, bot_id=app.bot_id,
                     role_id=role_id, by=installer)
        return True

    def _issue_bot_token(self, bot: Bot, reset: bool) -> str:
        token = "mbt_" + self.ids.secret()
        issue = bot.reset_token if reset else bot.issue_token
        issue(SCHEME, hash_token(token), timestamp=self.clock())
        return token

    @staticmethod
    def _app_bot(unit: Unit, app: App) -> Bot:
        bot = unit.get(aggregate_id(app.bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found("app not found")
        return bot

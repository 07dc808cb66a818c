"""Account commands: bots and users of the one registry, their tokens, names and numbers.

Each validates first, then records events in the writer's Unit (see domain/application.py).
Whatever a read model needs unique is claimed in the log itself (domain/claims.py).
"""
from dataclasses import dataclass

from domain import naming
from domain.bots import Bot
from domain.claims import ALIAS, FINGERPRINT, NUMBER, Claim, claim_id
from domain.clock import Clock
from domain.errors import conflict, invalid, not_found
from domain.ids import AccountId, Ids, aggregate_id
from domain.tokens import hash_token
from domain.unit import Unit
from domain.users import User

ALIAS_TAKEN = "alias already taken"
FINGERPRINT_TAKEN = "fingerprint already registered"


@dataclass(frozen=True)
class BotRegistration:
    bot_id: AccountId
    number: int
    name: str
    fingerprint: str
    alias: str
    token: str
    api_token: str


@dataclass(frozen=True)
class UserRegistration:
    user_id: AccountId
    number: int
    fingerprint: str
    token: str


class AccountCommands:
    clock: Clock
    ids: Ids

    def register_bot(self, unit: Unit, name: str, fingerprint: str, description: str = "",
                     username: str | None = None) -> BotRegistration:
        """`username` (BotFather's way) is the alias; otherwise featherChat's rule names it."""
        name, fingerprint = naming.bot_name(name), naming.fingerprint(fingerprint)
        alias = naming.bot_username(username) if username is not None else naming.bot_alias(name)
        bot = self._new_bot(unit, name, fingerprint, alias, description)
        token, api_token = self._feather_token(fingerprint), self._api_token(bot.number)
        bot.issue_token("feather", hash_token(token), timestamp=self.clock())
        bot.issue_token("api", hash_token(api_token), timestamp=self.clock())
        return BotRegistration(bot.bot_id, bot.number, name, fingerprint, alias, token, api_token)

    def _new_bot(self, unit: Unit, name: str, fingerprint: str, alias: str | None,
                 description: str, avatar: str = "") -> Bot:
        """A bot of the one registry, its fingerprint, number (and alias) claimed; tokens are
        each dialect's to issue."""
        self._check_unclaimed(unit, fingerprint, alias)
        now, bot_id, number = self.clock(), AccountId(self.ids.ulid()), self._new_number(unit)
        bot = Bot(bot_id=bot_id, number=number, name=name, fingerprint=fingerprint,
                  description=description, avatar=avatar, timestamp=now)
        unit.add(bot, *self._claims(bot_id, fingerprint, alias, number, now))
        return bot

    def register_user(self, unit: Unit, fingerprint: str, name: str | None = None,
                      alias: str | None = None) -> UserRegistration:
        fingerprint = naming.fingerprint(fingerprint)
        alias = naming.user_alias(alias) if alias is not None else None
        self._check_unclaimed(unit, fingerprint, alias)
        now, user_id, number = self.clock(), AccountId(self.ids.ulid()), self._new_number(unit)
        token = self.ids.secret(32)
        user = User(user_id=user_id, number=number, name=name or naming.display_name(fingerprint),
                    fingerprint=fingerprint, token_hash=hash_token(token), timestamp=now)
        unit.add(user, *self._claims(user_id, fingerprint, alias, number, now))
        return UserRegistration(user_id, number, fingerprint, token)

    def reset_token(self, unit: Unit, bot_id: AccountId, scheme: str) -> str:
        """Issue a new token of one scheme; the old one stops working at once."""
        bot = unit.get(aggregate_id(bot_id))
        if not isinstance(bot, Bot) or bot.deleted:
            raise not_found("bot not found")
        if scheme == "feather":
            token = self._feather_token(bot.fingerprint)
        elif scheme == "api":
            token = self._api_token(bot.number)
        else:
            raise invalid(f"unknown token scheme: {scheme}")
        bot.reset_token(scheme, hash_token(token), timestamp=self.clock())
        return token

    def _new_number(self, unit: Unit) -> int:
        """The next account number that no account in the log holds."""
        number = self.ids.number()
        while unit.exists(claim_id(NUMBER, str(number))):
            self.ids.observe(number)
            number = self.ids.number()
        return number

    def _feather_token(self, fingerprint: str) -> str:
        """The seed's form: <first 16 of the fingerprint>:<32 hex>."""
        return f"{fingerprint[:16]}:{self.ids.hex(16)}"

    def _api_token(self, number: int) -> str:
        """<bot id>:<secret>, which aiogram and telebot require (a numeric prefix)."""
        return f"{number}:{self.ids.secret()}"

    def _check_unclaimed(self, unit: Unit, fingerprint: str, alias: str | None) -> None:
        if unit.exists(claim_id(FINGERPRINT, fingerprint)):
            raise conflict(FINGERPRINT_TAKEN)
        if alias is not None and unit.exists(claim_id(ALIAS, alias)):
            raise conflict(ALIAS_TAKEN)

    @staticmethod
    def _claims(owner_id: str, fingerprint: str, alias: str | None, number: int,
                now) -> list[Claim]:
        claims = [Claim(namespace=FINGERPRINT, name=fingerprint, owner_id=owner_id, timestamp=now),
                  Claim(namespace=NUMBER, name=str(number), owner_id=owner_id, timestamp=now)]
        if alias is not None:
            claims.append(Claim(namespace=ALIAS, name=alias, owner_id=owner_id, timestamp=now))
        return claims

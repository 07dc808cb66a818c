"""The method table: one entry per Telegram method, found by its lowercased name, with the
parameter model the router parses and the result model the API reference shows."""
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from api.runtime import Runtime
from api.telegram.errors import bad_request
from api.telegram.schemas import Params
from projections import directory, messages


@dataclass(frozen=True)
class Described:
    """A result with the reference server's `description` beside it ("Webhook was set")."""

    result: Any
    description: str


class Call:
    """One method call: the runtime, the calling bot (a directory row) and the request."""

    def __init__(self, runtime: Runtime, bot: dict, request: Request) -> None:
        self.runtime, self.bot, self.request = runtime, bot, request

    @property
    def address(self) -> str:
        return self.bot["fingerprint"]

    def chat(self, chat_id: int | str) -> dict:
        """The account a private chat id names (its number, or `@username`)."""
        if isinstance(chat_id, int):
            found = self.runtime.callers.by_number(chat_id)
        elif chat_id.startswith("@") and len(chat_id) > 1:
            found = directory.resolve_alias(self.runtime.db, chat_id[1:].lower())
        else:
            found = None
        if found is None:
            raise bad_request("chat not found")
        return found

    def message(self, chat: dict, message_id: int) -> dict | None:
        """A message of this bot's chat with `chat`, by its Telegram id, or None."""
        item = messages.by_position(self.runtime.db, message_id)
        if item is None or item["content"].get("deleted"):
            return None
        parties = {item["sender_fp"], item["to_address"]}
        return item if parties == {self.address, chat["fingerprint"]} else None

    def lookup(self, message_id: str) -> dict | None:
        return messages.get(self.runtime.db, message_id)

    def people(self, number: int) -> dict | None:
        """The account a Telegram user id names (a mention's user), or None."""
        return self.runtime.callers.by_number(number)


Run = Callable[[Call, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    name: str
    params: type[Params]
    result: Any  # a type, for the API reference
    run: Run
    summary: str


METHODS: dict[str, Method] = {}


class NoParams(Params):
    pass


def method(name: str, result: Any, params: type[Params] = NoParams) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        summary = " ".join((run.__doc__ or "").strip().split("\n\n")[0].split())
        METHODS[name.lower()] = Method(name, params, result, run, summary)
        return run

    return register


def documented_models() -> list[type[BaseModel]]:
    return [m.params for m in METHODS.values()]

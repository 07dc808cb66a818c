"""getUpdates on the Telegram surface (research-compat §1.3): `offset` confirms what is below
it (an `UpdatesConfirmed` event, riding with the next write), a negative offset keeps only
the newest, `limit` and `timeout` clamped, `allowed_updates` remembered, one long poll per
bot (the older gets 409), woken by the projector's batches."""
import asyncio

from api.longpoll import untaken
from api.telegram import render
from api.telegram.errors import TelegramError
from api.telegram.methods import Call, method
from api.telegram.objects import Update
from api.telegram.schemas import GetUpdates
from projections import backlog, updates

MAX_TIMEOUT = 50
WEBHOOK_ACTIVE = ("Conflict: can't use getUpdates method while webhook is active; use"
                  " deleteWebhook to delete the webhook first")
SUPERSEDED = ("Conflict: terminated by other getUpdates request; make sure that only one bot"
              " instance is running")


@method("getUpdates", list[Update], GetUpdates)
async def get_updates(call: Call, params: GetUpdates) -> list[dict]:
    """Updates above `offset`, oldest first, waiting up to `timeout` seconds for one."""
    runtime, address = call.runtime, call.address
    if runtime.webhooks.active(address):
        await runtime.polls.refuse(address)
        raise TelegramError(409, WEBHOOK_ACTIVE)
    if params.allowed_updates is not None:
        await remember_filter(call, params.allowed_updates)
    limit = min(max(params.limit, 1), 100)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(max(params.timeout, 0), MAX_TIMEOUT)
    after = confirm_below(call, params.offset)

    def read() -> list[tuple[dict, dict | None]]:
        """What is queued above the offset, each item with its update (None: not shown)."""
        items = updates.pending(runtime.db, address, limit, skip=runtime.taken.held(address),
                                after=max(after, runtime.taken.floor(address)))
        return [(item, render.update(item, address, call.people, call.lookup))
                for item in items]

    with runtime.waiters.watch(address) as woken, runtime.polls.start(address, woken) as poll:
        woken.reader = read  # made ahead while an append wakes this poll (api/longpoll.py)
        while True:
            ready = woken.clear(runtime.writer.projector.position)
            if poll.superseded:
                raise TelegramError(409, SUPERSEDED)
            items = untaken(ready, runtime.taken.held(address),
                            max(after, runtime.taken.floor(address))) or read()
            shown = [update for _, update in items if update is not None]
            if shown:
                return shown
            if items:  # only kinds a bot is never shown: gone with the next offset
                after = confirm_below(call, items[-1][0]["update_id"] + 1)
                continue
            remaining = deadline - loop.time()
            if runtime.stopping or remaining <= 0 or not await woken.wait(remaining):
                return []


def confirm_below(call: Call, offset: int) -> int:
    """Confirms every update below `offset` (a negative one: all but the newest -offset);
    returns the update id reads start above."""
    runtime, address = call.runtime, call.address
    if offset < 0:
        waiting = backlog.pending_ids(runtime.db, address)
        if len(waiting) <= -offset:
            return 0
        offset = waiting[offset - 1] + 1
    up_to = offset - 1
    if up_to <= runtime.taken.floor(address):
        return max(up_to, 0)
    runtime.taken.hold_below(address, up_to, runtime.writer.submit(
        lambda unit: runtime.app.confirm_updates(unit, address, up_to, "telegram.getUpdates"),
        lazy=True))
    return up_to


async def remember_filter(call: Call, allowed: list[str]) -> None:
    """A new `allowed_updates` is recorded; the same one again (aiogram sends it on every
    call) costs no write."""
    runtime = call.runtime
    if updates.blocked(runtime.db, call.address) == updates.blocking(allowed):
        return
    bot_id = call.bot["id"]
    await runtime.writer.run(lambda unit: runtime.app.filter_updates(unit, bot_id, allowed))

"""Webhook methods (research-compat §1.4) and Telegram's request shape for the shared webhook
worker (api/webhooks.py): one Update per POST, `Content-Type: application/json` exactly, the
secret in `X-Telegram-Bot-Api-Secret-Token`, and a method in a 2xx answer executed."""
import logging
import re
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request

from api.params import ParamsError, parse, values
from api.runtime import Runtime
from api.telegram import render
from api.telegram.errors import bad_request
from api.telegram.methods import METHODS, Call, Described, method
from api.telegram.objects import WebhookInfo
from api.telegram.polling import remember_filter
from api.telegram.schemas import DeleteWebhook, SetWebhook
from api.webhooks import ADAPTERS, Answer
from projections import backlog, directory, messages, outbox, updates

log = logging.getLogger(__name__)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NOT_FROM_A_WEBHOOK = ("setwebhook", "deletewebhook", "close", "logout")


async def drop_pending(call: Call) -> None:
    """`drop_pending_updates`: everything queued now is confirmed before the answer."""
    runtime, address = call.runtime, call.address
    waiting = backlog.pending_ids(runtime.db, address)
    if waiting:
        await runtime.writer.run(lambda unit: runtime.app.confirm_updates(
            unit, address, waiting[-1], "telegram.drop_pending_updates"))


def pending_count(call: Call) -> int:
    """What a getUpdates would still return: an offset on its way counts as confirmed."""
    taken, address = call.runtime.taken, call.address
    floor, held = taken.floor(address), taken.held(address)
    return sum(1 for update_id in backlog.pending_ids(call.runtime.db, address)
               if update_id > floor and update_id not in held)


@method("setWebhook", bool, SetWebhook)
async def set_webhook(call: Call, params: SetWebhook) -> Described:
    """Updates are pushed to `url` (http or https, any host and port: a local server's
    rules); an empty `url` removes the webhook."""
    if not params.url:
        return await delete_webhook(call, DeleteWebhook(
            drop_pending_updates=params.drop_pending_updates))
    parts = urlsplit(params.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(params.url) > 2048:
        raise bad_request("bad webhook: invalid webhook URL specified")
    secret = params.secret_token or ""
    if secret and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if params.allowed_updates is not None:
        await remember_filter(call, params.allowed_updates)
    if params.drop_pending_updates:
        await drop_pending(call)
    runtime, address = call.runtime, call.address
    connections = min(max(params.max_connections, 1), 100)
    changed = await runtime.writer.run(lambda unit: runtime.app.set_webhook(
        unit, address, params.url, secret, connections, "telegram"))
    return Described(True, "Webhook was set" if changed else "Webhook is already set")


@method("deleteWebhook", bool, DeleteWebhook)
async def delete_webhook(call: Call, params: DeleteWebhook) -> Described:
    """Back to getUpdates; `drop_pending_updates` confirms what is queued."""
    if params.drop_pending_updates:
        await drop_pending(call)
    runtime, address = call.runtime, call.address
    changed = runtime.webhooks.active(address) and await runtime.writer.run(
        lambda unit: runtime.app.delete_webhook(unit, address))
    return Described(True, "Webhook was deleted" if changed else "Webhook is already deleted")


@method("getWebhookInfo", WebhookInfo)
async def get_webhook_info(call: Call, _: object) -> dict:
    """The webhook and its delivery state; `url` is empty while the bot polls."""
    db, address = call.runtime.db, call.address
    info: dict = {"url": "", "has_custom_certificate": False,
                  "pending_update_count": pending_count(call)}
    hook = outbox.webhook(db, address)
    if hook is not None:
        info.update(url=hook["url"], max_connections=hook["max_connections"])
        if hook["last_error_date"]:
            info.update(last_error_date=hook["last_error_date"],
                        last_error_message=hook["last_error_message"])
        blocked = updates.blocked(db, address)
        if blocked:
            info["allowed_updates"] = [k for k in updates.PRODUCED if k not in blocked]
    return info


class TelegramShape:
    """How a Telegram webhook receives an update, and what its answer may ask for."""

    removes_gone = True  # as Telegram does, after 23 hours of nothing but 410

    def request(self, runtime: Runtime, item: dict, hook: dict
                ) -> tuple[bytes, dict[str, str]] | None:
        shown = render.update(item, hook["address"], runtime.callers.by_number,
                              lambda m: messages.get(runtime.db, m))
        if shown is None:
            return None
        headers = {"Content-Type": "application/json"}
        if hook["secret"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret"]
        return orjson.dumps(shown), headers

    async def answered(self, runtime: Runtime, hook: dict, answer: Answer) -> None:
        """A `method` in the answer (JSON, urlencoded or multipart) runs as the bot's call;
        reads and webhook changes are ignored, as Telegram does."""
        if not answer.content.strip():
            return
        request = _request(answer)
        try:
            name = (await values(request)).get("method")
        except ParamsError:
            return
        if not isinstance(name, str) or name.lower().startswith("get") or \
                name.lower() in NOT_FROM_A_WEBHOOK or name.lower() not in METHODS:
            return
        bot = directory.account_by_fingerprint(runtime.db, hook["address"])
        if bot is None:
            return
        found = METHODS[name.lower()]
        try:
            await found.run(Call(runtime, bot, request), await parse(request, found.params))
        except Exception as error:  # noqa: BLE001 - the bot's mistake, not the delivery's
            log.warning("a webhook answer's method failed",
                        extra={"address": hook["address"], "method": name, "error": str(error)})


def _request(answer: Answer) -> Request:
    """The answer as a request, so the one parameter parser reads it."""
    body, sent = answer.content, False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    content_type = answer.content_type.encode()
    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"",
                    "headers": [(b"content-type", content_type)]}, receive)


ADAPTERS["telegram"] = TelegramShape()

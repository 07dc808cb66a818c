"""Botyard's request shape for the shared webhook worker (api/webhooks.py, decision 6): a
user's message as the PreparedMessage JSON its sender got back, the secret verbatim as
`Authorization`, and `X-Botbus-Delivery` (the message id: the same on every retry) so a bot
can drop a repeat. Only rooms' messages are shown; anything else in the queue is skipped."""
import orjson

from api.botyard import render
from api.runtime import Runtime
from api.webhooks import ADAPTERS, Answer
from projections import files


class BotyardShape:
    removes_gone = False  # an admin sets a Botyard webhook: only an admin removes it

    def request(self, runtime: Runtime, item: dict, hook: dict
                ) -> tuple[bytes, dict[str, str]] | None:
        if item.get("kind") != "message" or not item.get("chat") or item.get("ms") is None:
            return None
        attached = files.many(runtime.db, list(item["content"].get("attachments", ())))
        shown = render.message(item, item["chat"], attached)
        headers = {"Content-Type": "application/json", "X-Botbus-Delivery": shown["id"]}
        if hook["secret"]:
            headers["Authorization"] = hook["secret"]
        return orjson.dumps(shown), headers

    async def answered(self, runtime: Runtime, hook: dict, answer: Answer) -> None:
        """Botyard reads nothing from a webhook's answer."""


ADAPTERS["botyard"] = BotyardShape()

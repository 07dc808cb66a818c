"""One webhook request over HTTP, whatever the dialect: no redirect followed, the 2xx answer
read within ANSWER_MAX, and what the outcome says of the next attempt (Telegram's backoff,
a `Retry-After` honoured). The worker that orders and records attempts is api/webhooks.py."""
import logging
import random
from dataclasses import dataclass

import aiohttp

from api.params import decimal

log = logging.getLogger("api.webhooks")
TIMEOUT = 30.0
MAX_RETRY_AFTER = 3600
# a method call in a webhook answer is a few KB (a message's text is at most 4096 characters),
# so this leaves room for a small file part too; past it the answer is not read on (nor run),
# so up to 100 deliveries per bot never each hold a hostile receiver's gigabytes
ANSWER_MAX = 1 << 20  # 1 MiB
Outcome = tuple[int | None, str, float, "Answer | None"]


@dataclass(frozen=True)
class Answer:
    """A receiver's 2xx answer, read whole up to ANSWER_MAX (a dialect may find a request in
    it); a longer one is delivered all the same, and not read."""

    status: int
    content_type: str
    content: bytes


def backoff(attempt: int) -> float:
    """1 s, doubled each attempt, capped at a random 60-120 s (Telegram's WebhookActor)."""
    return min(2.0 ** (attempt - 1), random.uniform(60, 120))


async def post(client: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
               attempt: int, address: str) -> Outcome:
    """(status, error or "", seconds until the next attempt, the 2xx answer if it fits)."""
    try:
        async with client.post(url, data=body, headers=headers,
                               allow_redirects=False) as response:
            status, reason = response.status, response.reason or ""
            content = await _capped(response) if 200 <= status < 300 else b""
            content_type = response.headers.get("content-type", "application/json")
            after = response.headers.get("retry-after", "")
    except TimeoutError:
        return None, "Timeout expired", backoff(attempt), None
    except aiohttp.ClientConnectorError:
        return None, "Connection refused", backoff(attempt), None
    except (aiohttp.ClientError, ValueError) as error:
        return None, f"Connection error: {type(error).__name__}", backoff(attempt), None
    if 200 <= status < 300:
        if content is None:
            log.warning("webhook answer too long: delivered, its content ignored",
                        extra={"address": address, "status": status, "limit": ANSWER_MAX})
            return status, "", 0.0, None
        return status, "", 0.0, Answer(status, content_type, content)
    retry_in = backoff(attempt)
    seconds = decimal(after.strip(), longest=10)  # "²" is a digit that float() refuses
    if seconds is not None:
        retry_in = min(float(seconds), MAX_RETRY_AFTER)
    return status, f"Wrong response from the webhook: {status} {reason}", retry_in, None


async def _capped(response: aiohttp.ClientResponse) -> bytes | None:
    """The body, or None once it passes ANSWER_MAX: never more than that is held (aiohttp
    inflates a compressed body a bounded chunk at a time, as it is read)."""
    if (response.content_length or 0) > ANSWER_MAX:
        return None
    content = bytearray()
    while chunk := await response.content.read(ANSWER_MAX + 1 - len(content)):
        content += chunk
        if len(content) > ANSWER_MAX:
            return None
    return bytes(content)

"""Assertions the MaxChat route tests share: never a 500, and the exact error envelope."""
import httpx


def never_500(response: httpx.Response) -> None:
    response.read()
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: " \
                                       f"{response.status_code} {response.text}"


def watched(client: httpx.Client) -> httpx.Client:
    client.event_hooks = {"response": [never_500]}
    return client


def refused(answer: httpx.Response, status: int, message: str | None = None) -> None:
    """MaxChat's error envelope, exactly `{"error": message}` (any sentence if None)."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"], body
    if message is not None:
        assert body == {"error": message}

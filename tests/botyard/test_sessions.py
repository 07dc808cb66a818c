"""The sliding session without a JWT signed per request: a cookie just issued comes back as it
is, and a token the server does not remember (after a restart) is verified and renewed."""
import httpx

from tests.botyard.conftest import start_server


def token_of(answer: httpx.Response) -> str:
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    return cookie.split(";")[0].removeprefix("token=")


def test_a_fresh_cookie_is_sent_again_and_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    server = start_server(data, JWT_SECRET_KEY="a-known-key-of-32-bytes-or-more!!")
    user = httpx.Client(base_url=server.url, timeout=15)
    try:
        made = user.post("/v1/client-api/user", json={"nickname": "alice"})
        issued = token_of(made)
        again = user.get("/v1/client-api/user")
        assert again.json() == made.json() and token_of(again) == issued
        server.stop()
        server = start_server(data, JWT_SECRET_KEY="a-known-key-of-32-bytes-or-more!!")
        user.base_url = httpx.URL(server.url)
        after = user.get("/v1/client-api/user")
        assert after.status_code == 200 and after.json() == made.json()
        assert token_of(after) != issued  # verified, then renewed
        assert user.get("/v1/client-api/user").status_code == 200
    finally:
        server.stop()
        user.close()


def test_a_forged_token_is_refused_even_after_a_real_one_was_seen(server):
    with httpx.Client(base_url=server.url, timeout=15) as user:
        issued = token_of(user.post("/v1/client-api/user", json={"nickname": "bob"}))
        header, payload, signature = issued.split(".")
        # its first character changed: six whole bits of the signature differ (its last two
        # characters hold bits no decoder reads, and may already be "AA": 1 in 1,024 runs)
        forged = f"{header}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
        user.cookies.clear()
        answer = user.get("/v1/client-api/user", headers={"Cookie": f"token={forged}"})
        assert answer.status_code == 401
        assert answer.json() == {"message": "User is unauthorized."}

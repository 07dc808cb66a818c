from api import redact


def test_tokens_in_paths_are_never_logged():
    assert redact.path("/v1/bot/aabb:ccdd/getUpdates") == "/v1/bot/<token>/getUpdates"
    assert redact.path("/bot123:secret/sendMessage") == "/bot<token>/sendMessage"
    assert redact.path("/file/bot123:secret/documents/a.txt") == "/file/bot<token>/documents/a.txt"


def test_paths_without_tokens_are_kept():
    for path in ("/v1/bot/register", "/v1/messages/send", "/health", "/v1/bot-api/bot",
                 "/v1/users/register"):
        assert redact.path(path) == path

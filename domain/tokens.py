"""Tokens are random secrets; only their sha256 is stored and compared."""
import hashlib
import hmac


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(stored: str, computed: str) -> bool:
    """Constant time, for a hash the caller has already computed."""
    return hmac.compare_digest(stored, computed)


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def derive_token(secret: bytes, *parts: str, length: int = 26) -> str:
    """A token that can be computed again from a server secret and what the log keeps
    (`parts`), so the log and the read models never hold it: only its hash."""
    if not secret:
        raise ValueError("no key secret: tokens cannot be derived")
    number = int.from_bytes(hmac.new(secret, ":".join(parts).encode(), hashlib.sha256).digest())
    letters = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        letters.append(_BASE62[digit])
    return "".join(letters)

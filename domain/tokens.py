"""Tokens are random secrets; only their sha256 is stored and compared."""
import hashlib
import hmac


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_digest(stored: str, computed: str) -> bool:
    """Constant time, for a hash the caller has already computed."""
    return hmac.compare_digest(stored, computed)

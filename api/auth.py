"""Who is calling: accounts looked up by the sha256 of their token, compared in constant time."""
import hmac

from sqlite_utils import Database

from domain.tokens import hash_token
from projections import directory


def account_for_token(db: Database, token: str, kinds: tuple[str, ...]) -> dict | None:
    if not token or len(token) > 256:
        return None
    token_hash = hash_token(token)
    account = directory.account_by_token_hash(db, token_hash)
    if account is None or account["kind"] not in kinds:
        return None
    if not hmac.compare_digest(account["token_hash"], token_hash):
        return None
    return account


def bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""

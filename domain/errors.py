"""Domain errors carry a kind and a message, never an HTTP status: each dialect maps them."""
from enum import Enum


class Kind(Enum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"  # known caller, not allowed (a permission, not installed)
    UNAVAILABLE = "unavailable"  # the server, not the request: try again later


class DomainError(Exception):
    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def invalid(message: str) -> DomainError:
    return DomainError(Kind.INVALID, message)


def conflict(message: str) -> DomainError:
    return DomainError(Kind.CONFLICT, message)


def not_found(message: str) -> DomainError:
    return DomainError(Kind.NOT_FOUND, message)


def unauthorized(message: str) -> DomainError:
    return DomainError(Kind.UNAUTHORIZED, message)


def forbidden(message: str) -> DomainError:
    return DomainError(Kind.FORBIDDEN, message)


def unavailable(message: str) -> DomainError:
    return DomainError(Kind.UNAVAILABLE, message)

"""What the REST dialects share about failing: an error with its HTTP status, and the status
each kind of domain error takes (a dialect may differ, as Botyard answers a conflict 400)."""
from domain.errors import Kind

STATUS = {Kind.INVALID: 400, Kind.NOT_FOUND: 404, Kind.CONFLICT: 409, Kind.UNAUTHORIZED: 401,
          Kind.FORBIDDEN: 403, Kind.UNAVAILABLE: 503}


class StatusError(Exception):
    """A failure the route names with its status, rendered in the dialect's envelope."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

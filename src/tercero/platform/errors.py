"""Domain errors. Services raise them; the API and pages turn them into 4xx responses."""

from typing import Any


class DomainError(Exception):
    """A request the domain refuses. `code` is machine-readable, `message` is for people."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    """The object does not exist or belongs to a client the caller cannot see."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, message: str, *, allowed: list[str]):
        super().__init__(message, fields={"allowed": allowed})
        self.allowed = allowed

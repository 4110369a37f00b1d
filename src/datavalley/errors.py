"""DataValley's errors: one root, each subclass carries its HTTP status.

::

    DataValleyError                 500  something went wrong on our side
    ├── InvalidInput                422  a field or argument is not acceptable (names the field)
    ├── BadRequest                  400  the request as a whole cannot be understood
    ├── NotFound                    404  an organization, dataset, table ... does not exist
    ├── Conflict                    409  the name is taken, or the state forbids the change
    ├── Unauthorized                401  no valid credentials
    ├── Forbidden                   403  credentials fine, permission missing
    ├── TooManyRequests             429  too many attempts (failed logins); says when to try again
    ├── StoreUnavailable            503  the metadata store cannot be reached
    └── StorageUnavailable          503  a table's files cannot be read or written on its storage

Engine errors (SQLAlchemy, DuckDB, deltalake) are translated into these at the boundary, so callers
never see a third-party exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class ErrorDetail:
    """One problem in an input: which field (dotted path) and what is wrong with it."""

    field: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


class DataValleyError(Exception):
    """Root of every error DataValley raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[ErrorDetail] = details or []

    def reword(self, change: Callable[[str], str]) -> None:
        """Apply ``change`` to the message and to each detail's (the same words, said for another
        audience or with more said), keeping the class, status and fields."""
        self.message = change(self.message)
        self.args = (self.message,)
        self.details = [ErrorDetail(d.field, change(d.message)) for d in self.details]

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the response carries besides the body (``Retry-After``, ``WWW-Authenticate``)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON error shape of the native API: ``{"error": {...}}``."""
        return {
            "error": {
                "status": self.status,
                "code": self.code,
                "message": self.message,
                "details": [d.to_dict() for d in self.details],
            }
        }


class InvalidInput(DataValleyError):
    status = 422
    code = "invalid_input"

    @classmethod
    def for_field(cls, field_name: str, message: str) -> InvalidInput:
        """One bad field: ``InvalidInput.for_field("name", "must start with a letter")``."""
        return cls(f"`{field_name}`: {message}", details=[ErrorDetail(field_name, message)])


class BadRequest(DataValleyError):
    status = 400
    code = "bad_request"


class NotFound(DataValleyError):
    status = 404
    code = "not_found"


class Conflict(DataValleyError):
    status = 409
    code = "conflict"


class Unauthorized(DataValleyError):
    status = 401
    code = "unauthorized"

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="datavalley"'}


class Forbidden(DataValleyError):
    status = 403
    code = "forbidden"


class TooManyRequests(DataValleyError):
    """Too many attempts; ``retry_after`` seconds from now the caller may try again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class StoreUnavailable(DataValleyError):
    status = 503
    code = "store_unavailable"


class StorageUnavailable(DataValleyError):
    """A table's files are missing, unreadable or refused by the storage (never the caller's fault)."""

    status = 503
    code = "storage_unavailable"


ERRORS_BY_STATUS: dict[int, type[DataValleyError]] = {
    cls.status: cls
    for cls in (
        DataValleyError,
        InvalidInput,
        BadRequest,
        NotFound,
        Conflict,
        Unauthorized,
        Forbidden,
        TooManyRequests,
        StoreUnavailable,
    )
}

"""One exception hierarchy for every rule the service enforces (``http.error_answers``
maps them, and Litestar's own errors, to answers).

API routes answer ``{"message": "<human readable>", "code": "<snake_case>"}`` (spec,
"Conventions"); page routes render ``error.html`` with the same status and message.
"""

from __future__ import annotations

from typing import Any

from install_service import error_codes

_CODES = {
    400: error_codes.BAD_REQUEST,
    401: error_codes.UNAUTHORIZED,
    403: error_codes.FORBIDDEN,
    404: error_codes.NOT_FOUND,
    405: error_codes.METHOD_NOT_ALLOWED,
    409: error_codes.CONFLICT,
    410: error_codes.GONE,
    413: error_codes.PAYLOAD_TOO_LARGE,
    422: error_codes.VALIDATION_ERROR,
    429: error_codes.RATE_LIMITED,
}


class ServiceError(Exception):
    """Base of every expected failure; carries its HTTP status, code and message."""

    status_code = 400
    code = error_codes.BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.data = data


class Unauthorized(ServiceError):
    status_code, code = 401, error_codes.UNAUTHORIZED


class Forbidden(ServiceError):
    status_code, code = 403, error_codes.FORBIDDEN


class NotFound(ServiceError):
    """Unknown id, or an id owned by another ISV (never reveal that it exists)."""

    status_code, code = 404, error_codes.NOT_FOUND


class Conflict(ServiceError):
    status_code, code = 409, error_codes.CONFLICT


class Gone(ServiceError):
    status_code, code = 410, error_codes.GONE


class InvalidInput(ServiceError):
    status_code, code = 422, error_codes.VALIDATION_ERROR


def error_body(status_code: int, message: str, code: str | None = None) -> dict[str, str]:
    return {"message": message, "code": code or _CODES.get(status_code, error_codes.INTERNAL_ERROR)}


class BackupRefused(ServiceError):
    """``install-service backup`` or ``restore`` would not give a usable copy (a PostgreSQL
    database, a target that is not empty, a corrupt or too new backup); nothing was written."""

    status_code, code = 409, error_codes.CONFLICT

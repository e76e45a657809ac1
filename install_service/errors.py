"""One exception hierarchy for every rule the service enforces, mapped to responses here.

API routes answer ``{"message": "<human readable>", "code": "<snake_case>"}`` (spec,
"Conventions"); page routes render ``error.html`` with the same status and message.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from install_service import error_codes

_CODES = {
    400: error_codes.BAD_REQUEST,
    401: error_codes.UNAUTHORIZED,
    403: error_codes.FORBIDDEN,
    404: error_codes.NOT_FOUND,
    405: error_codes.METHOD_NOT_ALLOWED,
    409: error_codes.CONFLICT,
    410: error_codes.GONE,
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


def missing_row_to_json(_: Request, exc: Exception) -> Response[dict[str, str]]:
    """A row looked up by a library (``NoResultFound``, advanced-alchemy's ``NotFoundError``)
    that is not there: the same 404 as our own ``NotFound``, never a 500."""
    return Response(error_body(404, "Not found", error_codes.NOT_FOUND), status_code=404)


def service_error_to_json(_: Request, exc: ServiceError) -> Response[dict[str, str]]:
    return Response(error_body(exc.status_code, exc.message, exc.code), status_code=exc.status_code)


def http_error_to_json(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own errors in our shape: a body that fails validation is 422, bad JSON 400."""
    status = exc.status_code
    if isinstance(exc, ValidationException):
        status = 422
        body: dict[str, Any] = error_body(status, "Request has invalid values")
        fields = [e for e in (exc.extra or []) if isinstance(e, dict)]
        if fields:
            body["message"] = "; ".join(
                f"{e.get('key') or 'body'}: {e.get('message', 'invalid')}" for e in fields
            )
        return Response(body, status_code=status, media_type=MediaType.JSON)
    message = exc.detail if status < HTTP_500_INTERNAL_SERVER_ERROR else "Internal server error"
    if status == 400 and "JSON" not in message and "Content-Type" not in message:
        message = f"Malformed request: {message}"
    headers = getattr(exc, "headers", None)
    if isinstance(exc, NotAuthorizedException) and not message:
        message = "Missing or invalid API key"
    return Response(error_body(status, message), status_code=status, headers=headers)


def internal_error_to_json(request: Request, exc: Exception) -> Response[dict[str, str]]:
    """500 ``internal_error``; the log names the path as sent, without its query string
    (which may hold a token), and no header or body."""
    from install_service.http.access_log import log_path

    request.logger.exception("unhandled error on %s %s", request.method, log_path(request.scope))
    return Response(
        error_body(500, "Internal server error", error_codes.INTERNAL_ERROR), status_code=500
    )

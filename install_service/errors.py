"""One exception hierarchy for every rule the service enforces, mapped to responses here.

API routes answer ``{"message": "<human readable>", "code": "<snake_case>"}`` (spec,
"Conventions"); page routes render ``error.html`` with the same status and message.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    422: "validation_error",
    429: "rate_limited",
}


class ServiceError(Exception):
    """Base of every expected failure; carries its HTTP status, code and message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.data = data


class Unauthorized(ServiceError):
    status_code, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status_code, code = 403, "forbidden"


class NotFound(ServiceError):
    """Unknown id, or an id owned by another ISV (never reveal that it exists)."""

    status_code, code = 404, "not_found"


class Conflict(ServiceError):
    status_code, code = 409, "conflict"


class Gone(ServiceError):
    status_code, code = 410, "gone"


class InvalidInput(ServiceError):
    status_code, code = 422, "validation_error"


def error_body(status_code: int, message: str, code: str | None = None) -> dict[str, str]:
    return {"message": message, "code": code or _CODES.get(status_code, "error")}


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
    return Response(error_body(500, "Internal server error", "internal_error"), status_code=500)

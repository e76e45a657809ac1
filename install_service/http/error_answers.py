"""Exceptions as answers: API routes answer ``{"message", "code"}`` (spec, "Conventions");
page routes render their own (``installs.pages.error_page``)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from install_service import error_codes
from install_service.errors import ServiceError, error_body
from install_service.http.access_log import log_path


def missing_row_to_json(_: Request, exc: Exception) -> Response[dict[str, str]]:
    """A row looked up by a library (``NoResultFound``, advanced-alchemy's ``NotFoundError``)
    that is not there: the same 404 as our own ``NotFound``, never a 500."""
    return Response(error_body(404, "Not found", error_codes.NOT_FOUND), status_code=404)


def service_error_to_json(_: Request, exc: ServiceError) -> Response[dict[str, Any]]:
    """``{"message", "code"}`` plus the error's own details (e.g. ``errors`` of a 422)."""
    body: dict[str, Any] = {**error_body(exc.status_code, exc.message, exc.code), **exc.data}
    return Response(body, status_code=exc.status_code)


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
    request.logger.exception("unhandled error on %s %s", request.method, log_path(request.scope))
    return Response(
        error_body(500, "Internal server error", error_codes.INTERNAL_ERROR), status_code=500
    )

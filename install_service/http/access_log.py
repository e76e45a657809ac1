"""The access log: one line per request, with nothing in it that could act as a secret,
and the request id that ties a request's lines together.

uvicorn's own access log prints the path with its query string (``?token=<user JWT>``),
so the CLI turns it off and the app logs instead, on the ``install_service.access``
logger at INFO: the event ``request`` with the fields (see ``http.logs`` for the format)

    request_id, client, method, path, route, status, duration_ms[, api_key, user_token, query_token]

``path`` is the path still percent-encoded (no query string, and no newline can forge a
line); ``route`` its route template (``/2023-12/users/{user_id}``), absent for a path that
matches no route. For each credential sent (``Authorization`` → ``api_key``,
``x-alloy-user-token`` → ``user_token``, ``?token=`` → ``query_token``) the first 8 hex digits
of its SHA-256: enough to tell requests with the same credential apart, too few to
recover or replay it. Never a header value, a query value or a body.

``request_id`` is the caller's ``X-Request-Id`` when it is 1-64 letters, digits, ``.``, ``_``
or ``-`` (a proxy's id carries through), else a new one; every answer echoes it in
``X-Request-Id``, and every line logged while the request is served carries it (structlog
context variables).

It wraps the app's whole ASGI handler, not a route, so 404 and 405 answers are logged too.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from urllib.parse import parse_qsl, quote

import structlog
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from install_service.security.user_tokens import USER_TOKEN_HEADER

logger = logging.getLogger("install_service.access")
TOKEN_ID_HEX = 8
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def token_id(secret: str) -> str:
    """``sha256:<first 8 hex digits>`` of ``secret``: names it in a log, cannot be reversed."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:TOKEN_ID_HEX]


def log_path(scope: Scope) -> str:
    """The request path as sent (percent-encoded), without the query string."""
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1").partition("?")[0]
    return quote(scope.get("path", ""))


def credential_ids(scope: Scope) -> dict[str, str]:
    """``{"api_key" | "user_token" | "query_token": token_id}`` for each credential sent."""
    headers = Headers.from_scope(scope)
    found: dict[str, str] = {}
    if authorization := headers.get("authorization"):
        found["api_key"] = token_id(authorization.partition(" ")[2].strip() or authorization)
    if user_token := headers.get(USER_TOKEN_HEADER):
        found["user_token"] = token_id(user_token)
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=False):
        if name == "token":
            found["query_token"] = token_id(value)
            break
    return found


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` if well-formed, else a new random one (32 hex digits)."""
    sent = Headers.from_scope(scope).get(REQUEST_ID_HEADER, "")
    return sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


class AccessLogMiddleware:
    """Wraps an ASGI app (Litestar's ``app.asgi_handler``); binds the request id, echoes
    it, and logs each HTTP request once its answer has started, or as 500 if the app raised
    before answering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []
        rid = request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=rid)  # this request's task only

        async def send_and_log(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = rid
                _log(scope, message["status"], started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_log)
        except BaseException:
            if not status:
                _log(scope, 500, started)
            raise
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


def _log(scope: Scope, status: int, started: float) -> None:
    client = scope.get("client")
    fields = {
        "client": client[0] if client else "-",
        "method": scope["method"],
        "path": log_path(scope),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if route := scope.get("path_template"):
        fields["route"] = route
    logger.info("request", extra=fields | credential_ids(scope))

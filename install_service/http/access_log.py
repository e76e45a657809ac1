"""The access log: one line per request, with nothing in it that could act as a secret.

uvicorn's own access log prints the path with its query string (``?token=<user JWT>``),
so the CLI turns it off and the app logs instead, on the ``install_service.access``
logger at INFO::

    127.0.0.1 "GET /forge-install" 200 4.1 ms user_token=sha256:1f0c9a2e

Logged: client address, method, the path still percent-encoded (no query string, and no
newline can forge a line), status, duration in milliseconds, and for each credential sent
(``Authorization`` → ``api_key``, ``x-alloy-user-token`` → ``user_token``, ``?token=`` →
``query_token``) the first 8 hex digits of its SHA-256: enough to tell requests with the
same credential apart, too few to recover or replay it. Never a header value, a query
value or a body.

It wraps the app's whole ASGI handler, not a route, so 404 and 405 answers are logged too.

``logging_config()`` is the app's logging: Litestar's default (INFO to stderr), with
httpx and httpcore at WARNING, because at INFO they log every outgoing URL with its query
string (a webhook URL or an app's API URL may carry a secret there).
"""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import parse_qsl, quote

from litestar.datastructures import Headers
from litestar.logging.config import LoggingConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from install_service.security.user_tokens import USER_TOKEN_HEADER

logger = logging.getLogger("install_service.access")
TOKEN_ID_HEX = 8
QUIETED_LOGGERS = ("httpx", "httpcore")  # they log full outgoing URLs at INFO


def logging_config() -> LoggingConfig:
    """Litestar's default logging, with ``QUIETED_LOGGERS`` at WARNING."""
    return LoggingConfig(
        loggers={name: {"level": "WARNING", "propagate": True} for name in QUIETED_LOGGERS}
    )


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


class AccessLogMiddleware:
    """Wraps an ASGI app (Litestar's ``app.asgi_handler``); logs each HTTP request once
    its answer has started, or as 500 if the app raised before answering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def send_and_log(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                _log(scope, message["status"], started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_log)
        except BaseException:
            if not status:
                _log(scope, 500, started)
            raise


def _log(scope: Scope, status: int, started: float) -> None:
    client = scope.get("client")
    ids = "".join(f" {name}={value}" for name, value in credential_ids(scope).items())
    logger.info(
        '%s "%s %s" %d %.1f ms%s',
        client[0] if client else "-",
        scope["method"],
        log_path(scope),
        status,
        (time.perf_counter() - started) * 1000,
        ids,
    )

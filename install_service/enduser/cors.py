"""CORS for the end-user API: a browser may read an answer only on an ISV's allowed origin.

Litestar's ``CORSConfig`` takes one static origin list; ours is per ISV and the ISV is
known only from the user token, which a preflight never carries. This middleware never
touches the database (it used to open a second session, which on SQLite queued behind the
request's own and turned a 401 into a 10 s wait and a 500). Instead:

- Preflight (``OPTIONS`` with ``Access-Control-Request-Method``): passed on to a real
  route handler, ``enduser.controllers.EndUserPreflightController``, which reads through
  the request's own session (``services.preflight_origin``, read-only): 204 for an origin
  that some ISV lists (exact match after normalisation), 403 ``origin_not_allowed``
  without CORS headers otherwise, so a browser on any other origin never sends the request
  at all. Allowed: methods GET, PUT; headers ``x-alloy-user-token``, ``content-type``;
  cached 600 s. We chose this over a cache of every listed origin: ISVs are created and
  changed by other processes (``install-service isv create``), which a cache in this one
  would learn of only after a refresh, and a preflight answer is always fresh this way.
- The request itself: ``provide_caller`` refuses (403 ``origin_not_allowed``) a token from
  an origin its own ISV did not list, before anything is read or changed, and leaves its
  decision in the request state (``CORS_ALLOW_ORIGIN_STATE_KEY``: the origin that may read
  the answer, or None). An ISV's listed origin therefore cannot act with another ISV's token.
- Answers given before any caller was known (401 missing or bad token, 429) carry
  ``Access-Control-Allow-Origin`` when the request has an ``x-alloy-user-token`` header
  and a non-``null`` origin: a browser sends that header cross-origin only after a
  preflight for that origin was approved (Fetch standard, "CORS-preflight fetch"), and such
  an answer holds no data, only the JSON error the SDK needs to read.
- API-key calls never get CORS headers, and ``Authorization`` is not an allowed header:
  API keys stay on backends. No cookies are used, so credentials are never allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from install_service.security.user_tokens import USER_TOKEN_HEADER

CORS_ALLOW_ORIGIN_STATE_KEY = "enduser_cors_allow_origin"  # set by provide_caller: str | None
ALLOW_METHODS = "GET, PUT"
ALLOW_HEADERS = "x-alloy-user-token, content-type"
EXPOSE_HEADERS = (
    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy"
)
PREFLIGHT_MAX_AGE_S = 600
END_USER_PATHS = ("/integrations", "/workflows", "/workflows/activate", "/workflows/deactivate")


class EndUserCorsMiddleware(ASGIMiddleware):
    """CORS headers on the answers of the end-user paths under each API version (see the
    module docstring); preflights are answered by their route handler."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, versions: Iterable[str]) -> None:
        """``versions``: the API version prefixes the end-user paths answer under."""
        paths = "|".join(re.escape(p) for p in END_USER_PATHS)
        prefixes = "|".join(re.escape(v) for v in versions)
        self._paths = re.compile(rf"^/(?:{prefixes})(?:{paths})/?$")

    def should_bypass_for_scope(self, scope: Scope) -> bool:  # type: ignore[override]
        return not self._paths.match(scope["path"])

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                for name, value in cors_headers(scope).items():
                    response_headers.add(name, value)
            await send(message)

        try:
            await next_app(scope, receive, send_with_cors)
        except HTTPException as exc:  # raised by middleware inside this one (429): answered outside
            exc.headers = {**(exc.headers or {}), **cors_headers(scope)}
            raise


def cors_headers(scope: Scope) -> dict[str, str]:
    """``Vary: Origin`` always (caches must not serve one origin's answer to another); the
    allow headers when the request's origin may read this answer (see the module docstring).
    A preflight's own allow headers are its handler's."""
    headers = Headers.from_scope(scope)
    origin = headers.get("origin")
    state = scope.get("state") or {}
    if CORS_ALLOW_ORIGIN_STATE_KEY in state:
        origin = state[CORS_ALLOW_ORIGIN_STATE_KEY]
    elif scope["method"] == "OPTIONS" or USER_TOKEN_HEADER not in headers:
        origin = None
    if not origin or origin == "null":
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSE_HEADERS,
        "Vary": "Origin",
    }

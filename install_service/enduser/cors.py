"""CORS for the end-user API: a browser may read an answer only on an ISV's allowed origin.

Litestar's ``CORSConfig`` takes one static origin list; ours is per ISV and the ISV is
known only from the user token, which a preflight never carries. So:

- Preflight (``OPTIONS`` with ``Access-Control-Request-Method``): answered 204 for an
  origin that some ISV lists (exact match after normalisation), 403 without CORS headers
  otherwise, so a browser on any other origin never sends the request at all. Allowed:
  methods GET, PUT; headers ``x-alloy-user-token``, ``content-type``; cached 600 s.
- The request itself: ``provide_caller`` refuses (403 ``origin_not_allowed``) a token from
  an origin its own ISV did not list, before anything is read or changed, and leaves that
  ISV's list in the request state; the answer carries ``Access-Control-Allow-Origin`` only
  for an origin on it. An ISV's listed origin therefore cannot act with another ISV's token.
- Answers given before any caller was known (401 missing or bad token, 429) carry it for
  an origin some ISV lists, so the SDK can read the JSON error.
- API-key calls never get CORS headers, and ``Authorization`` is not an allowed header:
  API keys stay on backends. No cookies are used, so credentials are never allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.enduser import services
from install_service.errors import error_body

CORS_ORIGINS_STATE_KEY = "enduser_cors_origins"  # set by provide_caller: the caller's ISV's origins
ALLOW_METHODS = "GET, PUT"
ALLOW_HEADERS = "x-alloy-user-token, content-type"
EXPOSE_HEADERS = (
    "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy"
)
PREFLIGHT_MAX_AGE_S = 600
END_USER_PATHS = ("/integrations", "/workflows", "/workflows/activate", "/workflows/deactivate")


class EndUserCorsMiddleware(ASGIMiddleware):
    """CORS for the end-user paths under each API version (see the module docstring)."""

    scopes = (ScopeType.HTTP,)

    def __init__(
        self,
        new_session: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        versions: Iterable[str],
    ) -> None:
        """``new_session``: opens a database session (e.g. the SQLAlchemy config's ``get_session``);
        ``versions``: the API version prefixes the end-user paths answer under."""
        self._new_session = new_session
        paths = "|".join(re.escape(p) for p in END_USER_PATHS)
        prefixes = "|".join(re.escape(v) for v in versions)
        self._paths = re.compile(rf"^/(?:{prefixes})(?:{paths})/?$")

    def should_bypass_for_scope(self, scope: Scope) -> bool:  # type: ignore[override]
        return not self._paths.match(scope["path"])

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = Headers.from_scope(scope)
        raw_origin = headers.get("origin")
        origin = services.request_origin(raw_origin)
        if (
            raw_origin is not None
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            await (await self._preflight(origin, raw_origin))(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                for name, value in (await self._cors_headers(scope, origin)).items():
                    response_headers.add(name, value)
            await send(message)

        try:
            await next_app(scope, receive, send_with_cors)
        except HTTPException as exc:  # raised by middleware inside this one (429): answered outside
            exc.headers = {**(exc.headers or {}), **await self._cors_headers(scope, origin)}
            raise

    async def _preflight(self, origin: str | None, raw_origin: str) -> ASGIResponse:
        if not await self._listed_by_any_isv(origin):
            body = error_body(403, f"{raw_origin} is not an allowed origin", "origin_not_allowed")
            return ASGIResponse(
                body=encode_json(body),
                status_code=403,
                media_type="application/json",
                headers={"Vary": "Origin"},
            )
        return ASGIResponse(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
                "Vary": "Origin",
            },
        )

    async def _cors_headers(self, scope: Scope, origin: str | None) -> dict[str, str]:
        """``Vary: Origin`` always (caches must not serve one origin's answer to another);
        the allow headers when ``origin`` may read this answer."""
        if origin is None:
            return {"Vary": "Origin"}
        state = scope.get("state") or {}
        if CORS_ORIGINS_STATE_KEY in state:
            allowed = services.is_listed(origin, state[CORS_ORIGINS_STATE_KEY])
        else:
            allowed = await self._listed_by_any_isv(origin)
        if not allowed:
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": EXPOSE_HEADERS,
            "Vary": "Origin",
        }

    async def _listed_by_any_isv(self, origin: str | None) -> bool:
        if origin is None:
            return False
        async with self._new_session() as session:
            return await services.listed_by_any_isv(session, origin)

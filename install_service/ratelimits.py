"""Rate limits per caller, with Litestar's ``RateLimitMiddleware``, and failed
authentications per client address.

Two fixed windows count requests (``FixedWindowRateLimitMiddleware``: Litestar's middleware
and config, counting ``[count, reset]`` per caller instead of a timestamp per request): ``INSTALL_SERVICE_RATE_LIMIT_API`` for each API key on
the API routes (or the client address when a request there has no usable key),
``INSTALL_SERVICE_RATE_LIMIT_USER`` for each end user on any route (end-user API and the
modal's steps). A caller is its identity, never the raw string it sent: an API key counts
by its digest (the key's id; ``security.api_keys``), a user token by the user it was
verified for (signature and claims, no database; ``UserTokens.verify``), so two spellings
of one credential never get two buckets. A credential in any other spelling counts
against the client address and is refused 401 by the route.

A third window, ``INSTALL_SERVICE_RATE_LIMIT_AUTH_FAILURES``, counts failed
authentications (a wrong or malformed API key or user token) per client address where the
failure is known: the auth dependencies (``AuthFailures.counting``). Past it, every
authenticated request from that address is refused 429 until the window ends, a right
credential included, so guessing keys is slow.

The client address is the socket peer, or the address a trusted proxy forwarded
(``INSTALL_SERVICE_TRUSTED_PROXIES``, applied by uvicorn in ``cli``): ``X-Forwarded-For``
from anyone else changes nothing.

Every counted answer has ``RateLimit-Policy``, ``RateLimit-Limit``, ``RateLimit-Remaining``
and ``RateLimit-Reset`` (seconds; IETF draft-ietf-httpapi-ratelimit-headers); a refused one
is 429 ``{"message", "code": "rate_limited"}`` with ``Retry-After`` (seconds, RFC 9110
§10.2.3). Counts live in the app's in-memory stores: each server process counts on its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request, Response
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import (
    DURATION_VALUES,
    CacheObject,
    RateLimitConfig,
    RateLimitMiddleware,
)
from litestar.serialization import decode_json, encode_json
from litestar.stores.base import Store
from litestar.types import Receive, Scope, Send

from install_service import error_codes
from install_service.errors import Unauthorized, error_body
from install_service.security.api_keys import MalformedApiKey, bearer_api_key, hash_api_key
from install_service.security.user_tokens import USER_TOKEN_HEADER, InvalidUserToken, UserTokens
from install_service.settings import Settings

AUTH_FAILURES_STORE = "auth_failures"  # the app's store (memory by default) for AuthFailures
_IDENTITY_STATE_KEY = "rate_limit_identity"


def client_address(request: Request[Any, Any, Any]) -> str:
    """The socket peer's address (rewritten by uvicorn only for a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def request_identity(request: Request[Any, Any, Any], user_tokens: UserTokens) -> str:
    """Whom a request counts against: ``api:<SHA-256 of the API key>``, else
    ``user:<userId>`` for a user token that verifies, else ``ip:<client address>``. An API
    key wins over a token, as in ``enduser.dependencies.provide_caller``. Computed once per
    request (kept in the request state)."""
    if (identity := request.state.get(_IDENTITY_STATE_KEY)) is None:
        identity = _identity(request, user_tokens)
        request.state[_IDENTITY_STATE_KEY] = identity
    return identity


def _identity(request: Request[Any, Any, Any], user_tokens: UserTokens) -> str:
    try:
        api_key = bearer_api_key(request.headers.get("authorization"))
    except MalformedApiKey:
        return "ip:" + client_address(request)
    if api_key is not None:
        return "api:" + hash_api_key(api_key)
    if token := request.headers.get(USER_TOKEN_HEADER):
        try:
            return "user:" + user_tokens.verify(token).user_id
        except InvalidUserToken:
            pass
    return "ip:" + client_address(request)


def rate_limit_middleware(
    settings: Settings, api_prefixes: Iterable[str], user_tokens: UserTokens
) -> list[DefineMiddleware]:
    """The two request limits as app middleware. ``api_prefixes``: paths of the API routes
    (e.g. ``/2023-12/``), where a request without a usable credential counts against its
    client address. ``OPTIONS`` (CORS preflights) is never counted."""
    prefixes = tuple(api_prefixes)

    def identify(request: Request[Any, Any, Any]) -> str:
        return request_identity(request, user_tokens)

    async def is_api_call(request: Request[Any, Any, Any]) -> bool:  # async: no thread hop
        identity = identify(request)
        return request.method != "OPTIONS" and (
            identity.startswith("api:")
            or (identity.startswith("ip:") and request.url.path.startswith(prefixes))
        )

    async def is_user_call(request: Request[Any, Any, Any]) -> bool:
        return request.method != "OPTIONS" and identify(request).startswith("user:")

    return [
        RateLimitConfig(
            rate_limit=settings.rate_limit_api,  # type: ignore[arg-type]
            identifier_for_request=identify,
            check_throttle_handler=is_api_call,
            middleware_class=FixedWindowRateLimitMiddleware,
        ).middleware,
        RateLimitConfig(
            rate_limit=settings.rate_limit_user,  # type: ignore[arg-type]
            identifier_for_request=identify,
            check_throttle_handler=is_user_call,
            middleware_class=FixedWindowRateLimitMiddleware,
        ).middleware,
    ]


class _Window(CacheObject):
    """A fixed window's count: ``history`` stays empty, ``count`` requests so far."""

    __slots__ = ("count",)

    def __init__(self, count: int, reset: int) -> None:
        super().__init__(history=[], reset=reset)
        self.count = count


class FixedWindowRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's ``RateLimitMiddleware`` with a fixed window: the store keeps
    ``[count, reset]`` (epoch seconds) per caller, so a request costs the same at any limit.
    Litestar's own keeps a timestamp per request and re-encodes them all on each one, which
    made a raised limit (e.g. 1,000,000/minute for a benchmark) cost milliseconds a request.
    Headers and the 429 are Litestar's (IETF draft-ietf-httpapi-ratelimit-headers)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        if await self.should_check_request(request=request):
            store = self.config.get_store_from_app(app)
            key = self.cache_key_from_request(request)
            async with self._lock:
                window = await self.retrieve_cached_history(key, store)
                if window.count >= self.max_requests:
                    raise TooManyRequestsException(headers=self.create_response_headers(window))
                await self.set_cached_history(key=key, cache_object=window, store=store)
            send = self.create_send_wrapper(send=send, cache_object=window)
        await self.app(scope, receive, send)

    async def retrieve_cached_history(self, key: str, store: Store) -> _Window:
        now = int(time.time())
        if raw := await store.get(key):
            count, reset = decode_json(raw)
            if reset > now:
                return _Window(count, reset)
        return _Window(0, now + DURATION_VALUES[self.unit])

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        assert isinstance(cache_object, _Window)
        cache_object.count += 1
        expires_in_s = max(1, cache_object.reset - int(time.time()))
        await store.set(key, encode_json([cache_object.count, cache_object.reset]), expires_in_s)

    def create_response_headers(self, cache_object: CacheObject) -> dict[str, str]:
        assert isinstance(cache_object, _Window)
        config = self.config
        return {
            config.rate_limit_policy_header_key: f"{self.max_requests}; w={DURATION_VALUES[self.unit]}",
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(
                max(0, self.max_requests - cache_object.count)
            ),
            config.rate_limit_reset_header_key: str(max(0, cache_object.reset - int(time.time()))),
        }


class TooManyFailedAuthentications(TooManyRequestsException):
    """The client address failed to authenticate too often; ``retry_after_s`` seconds left."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            detail=f"Too many failed authentications from this address: retry in {retry_after_s} s",
            headers={"Retry-After": str(retry_after_s)},
        )


class AuthFailures:
    """Failed authentications per client address, in fixed windows of ``rate`` (e.g.
    ``("minute", 20)``), kept in the app's store ``AUTH_FAILURES_STORE``."""

    def __init__(self, rate: tuple[str, int], store_name: str = AUTH_FAILURES_STORE) -> None:
        unit, self._limit = rate
        self._window_s = DURATION_VALUES[unit]  # type: ignore[index]
        self._store_name = store_name
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def counting(self, request: Request[Any, Any, Any]) -> AsyncIterator[None]:
        """``async with auth_failures.counting(request): <authenticate>``: refuse a blocked
        address first; an ``Unauthorized`` raised inside, for a request that sent an
        ``Authorization`` or user-token header, counts one failure for its address.

        Raises:
            TooManyFailedAuthentications: the address is over the limit (429).
        """
        store = request.app.stores.get(self._store_name)
        key = "auth-failures:" + client_address(request)
        count, reset_at = await self._window(store, key)
        if count >= self._limit:
            raise TooManyFailedAuthentications(max(1, reset_at - int(time.time())))
        try:
            yield
        except Unauthorized:
            if request.headers.get("authorization") or USER_TOKEN_HEADER in request.headers:
                await self._count_one(store, key)
            raise

    async def _window(self, store: Any, key: str) -> tuple[int, int]:
        """(failures so far, end of the window as epoch seconds) for ``key``."""
        now = int(time.time())
        raw = await store.get(key)
        window = decode_json(raw) if raw else {}
        if not window or window["reset_at"] <= now:
            return 0, now + self._window_s
        return window["count"], window["reset_at"]

    async def _count_one(self, store: Any, key: str) -> None:
        async with self._lock:
            count, reset_at = await self._window(store, key)
            window = {"count": count + 1, "reset_at": reset_at}
            await store.set(
                key, encode_json(window), expires_in=max(1, reset_at - int(time.time()))
            )


def too_many_requests_to_json(
    _: Request[Any, Any, Any], exc: TooManyRequestsException
) -> Response[dict[str, str]]:
    """429 in the API's error shape, with ``Retry-After`` (the window's ``RateLimit-Reset``)."""
    headers = dict(exc.headers or {})
    retry_after_s = max(1, int(headers.get("Retry-After") or headers.get("RateLimit-Reset", "1")))
    limit, _, window = headers.get("RateLimit-Policy", "").partition("; w=")
    message = f"Rate limit exceeded: retry in {retry_after_s} s"
    if isinstance(exc, TooManyFailedAuthentications):
        message = exc.detail
    elif limit and window:
        message = f"Rate limit of {limit} requests per {_unit(int(window))} exceeded: retry in {retry_after_s} s"
    return Response(
        error_body(429, message, error_codes.RATE_LIMITED),
        status_code=429,
        headers=headers | {"Retry-After": str(retry_after_s)},
    )


def _unit(window_s: int) -> str:
    return next(
        (unit for unit, seconds in DURATION_VALUES.items() if seconds == window_s), f"{window_s} s"
    )

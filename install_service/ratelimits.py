"""Rate limits per API key and per user token, with Litestar's ``RateLimitMiddleware``.

Two fixed windows: ``INSTALL_SERVICE_RATE_LIMIT_API`` for each API key on the API routes
(or the client IP when a request there has no key), ``INSTALL_SERVICE_RATE_LIMIT_USER`` for
each user token on any route (end-user API and the modal's steps). Keys and tokens are
counted by SHA-256 digest, so no secret is kept in the store. Every counted answer has
``RateLimit-Policy``, ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
(seconds; IETF draft-ietf-httpapi-ratelimit-headers); a refused one is 429
``{"message", "code": "rate_limited"}`` with ``Retry-After`` (seconds, RFC 9110 §10.2.3).

Counts live in the app's in-memory store: each server process counts on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, get_remote_address

from install_service.errors import error_body
from install_service.isvs.dependencies import bearer_token
from install_service.security.user_tokens import USER_TOKEN_HEADER
from install_service.settings import Settings


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_identity(request: Request[Any, Any, Any]) -> str:
    """Whom a request counts against: ``api:<digest of the API key>``, else
    ``user:<digest of the user token>``, else ``ip:<client address>``. An API key wins
    over a token, as in ``enduser.dependencies.provide_caller``."""
    if (api_key := bearer_token(request)) is not None:
        return "api:" + _digest(api_key)
    if token := request.headers.get(USER_TOKEN_HEADER):
        return "user:" + _digest(token)
    return "ip:" + get_remote_address(request)


def rate_limit_middleware(
    settings: Settings, api_prefixes: Iterable[str]
) -> list[DefineMiddleware]:
    """The two limits as app middleware. ``api_prefixes``: paths of the API routes
    (e.g. ``/2023-12/``), where a request without a token counts against its key or IP."""
    prefixes = tuple(api_prefixes)

    def is_api_call(request: Request[Any, Any, Any]) -> bool:
        identity = request_identity(request)
        return identity.startswith("api:") or (
            identity.startswith("ip:") and request.url.path.startswith(prefixes)
        )

    def is_user_call(request: Request[Any, Any, Any]) -> bool:
        return request_identity(request).startswith("user:")

    return [
        RateLimitConfig(
            rate_limit=settings.rate_limit_api,  # type: ignore[arg-type]
            identifier_for_request=request_identity,
            check_throttle_handler=is_api_call,
        ).middleware,
        RateLimitConfig(
            rate_limit=settings.rate_limit_user,  # type: ignore[arg-type]
            identifier_for_request=request_identity,
            check_throttle_handler=is_user_call,
        ).middleware,
    ]


def too_many_requests_to_json(
    _: Request[Any, Any, Any], exc: TooManyRequestsException
) -> Response[dict[str, str]]:
    """429 in the API's error shape, with ``Retry-After`` = the window's ``RateLimit-Reset``."""
    headers = dict(exc.headers or {})
    retry_after_s = max(1, int(headers.get("RateLimit-Reset", "1")))
    limit, _, window = headers.get("RateLimit-Policy", "").partition("; w=")
    message = f"Rate limit exceeded: retry in {retry_after_s} s"
    if limit and window:
        message = f"Rate limit of {limit} requests per {_unit(int(window))} exceeded: retry in {retry_after_s} s"
    return Response(
        error_body(429, message, "rate_limited"),
        status_code=429,
        headers=headers | {"Retry-After": str(retry_after_s)},
    )


def _unit(window_s: int) -> str:
    return next(
        (unit for unit, seconds in DURATION_VALUES.items() if seconds == window_s), f"{window_s} s"
    )

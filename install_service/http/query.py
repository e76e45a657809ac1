"""Empty query values are ignored on every route (spec, "Conventions"): ``?expiresIn=``
or a bare ``?userId`` is as if the parameter were not sent, so it takes its default.

An ASGI middleware that drops the ``name=`` and ``name`` pairs from the raw query string
before any handler parses it; every other pair is passed on byte for byte.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send


def without_empty_values(query_string: bytes) -> bytes:
    """``b"a=&b=2&c&d=4"`` → ``b"b=2&d=4"``."""
    pairs = [pair for pair in query_string.split(b"&") if pair.partition(b"=")[2]]
    return b"&".join(pairs)


class DropEmptyQueryValues(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        query_string = scope.get("query_string", b"")
        if query_string:
            scope["query_string"] = without_empty_values(query_string)
        await next_app(scope, receive, send)

"""Origins: which frontends may call the end-user API from a browser."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import IsvAllowedOrigin
from install_service.errors import Forbidden, InvalidInput
from install_service.isvs.services import normalise_origin


def request_origin(raw: str | None) -> str | None:
    """The ``Origin`` header as ``scheme://host[:port]`` lower-cased, or None when absent,
    ``null`` (sandboxed frames, ``file:``) or not an http(s) origin."""
    if not raw or raw == "null":
        return None
    try:
        return normalise_origin(raw)
    except InvalidInput:
        return None


def is_listed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Whether ``origin`` (already normalised) is exactly one of ``allowed``.

    Exact match, never a prefix or substring: ``https://app.example.com.evil.test`` is not
    ``https://app.example.com``."""
    return origin is not None and origin in {o.lower().rstrip("/") for o in allowed}


def same_origin(origin: str | None, public_url: str) -> bool:
    """Whether ``origin`` is the service's own (a page served by the service itself)."""
    parts = urlsplit(public_url)
    return origin is not None and origin == f"{parts.scheme}://{parts.netloc}".lower()


async def listed_by_any_isv(session: AsyncSession, origin: str | None) -> bool:
    """Whether any ISV lists ``origin`` (already normalised) among its allowed origins: one
    equality lookup on the indexed ``isv_allowed_origin.origin``."""
    if origin is None:
        return False
    found = await session.scalar(
        select(IsvAllowedOrigin.id).where(IsvAllowedOrigin.origin == origin).limit(1)
    )
    return found is not None


async def preflight_origin(session: AsyncSession, raw_origin: str) -> str:
    """The normalised origin of a CORS preflight that some ISV lists (one read, no write).

    Raises:
        Forbidden: ``origin_not_allowed`` (403), no ISV lists it (or it is not an origin).
    """
    origin = request_origin(raw_origin)
    if not await listed_by_any_isv(session, origin):
        raise Forbidden(
            f"{raw_origin} is not an allowed origin", code=error_codes.ORIGIN_NOT_ALLOWED
        )
    return origin  # type: ignore[return-value]  (listed, so not None)

"""Request dependencies that authenticate the ISV backend."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.isvs.services import IsvContext, authenticate


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def provide_isv(request: Request, db_session: AsyncSession) -> IsvContext:
    """The calling ISV; raises ``Unauthorized`` (401) for a missing or wrong API key."""
    return await authenticate(db_session, bearer_token(request))

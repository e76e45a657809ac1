"""Request dependencies that authenticate the ISV backend."""

from __future__ import annotations

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.errors import Unauthorized
from install_service.isvs.services import IsvContext, authenticate
from install_service.ratelimits import AuthFailures
from install_service.security.api_keys import MalformedApiKey, bearer_api_key


def bearer_token(request: Request) -> str | None:
    """The API key of an ``Authorization: Bearer <API key>`` header (scheme in any case),
    None without one.

    Raises:
        Unauthorized: a Bearer credential that is not an API key in its one spelling (401).
    """
    try:
        return bearer_api_key(request.headers.get("authorization"))
    except MalformedApiKey as exc:
        raise Unauthorized("Invalid API key") from exc


async def provide_isv(
    request: Request, db_session: AsyncSession, auth_failures: AuthFailures
) -> IsvContext:
    """The calling ISV.

    Raises:
        Unauthorized: a missing or wrong API key (401; a wrong one counts as a failed
            authentication of the client address).
        TooManyFailedAuthentications: the client address failed too often (429).
    """
    async with auth_failures.counting(request):
        return await authenticate(db_session, bearer_token(request))

"""The live end user behind a user JWT: the one lookup the end-user API and the modal share.

It sits below both (``enduser`` and ``installs`` import it; it imports neither).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import EndUser
from install_service.errors import Unauthorized
from install_service.ids import parse_id
from install_service.security.user_tokens import InvalidUserToken, UserTokens

_CODES = {
    "missing": error_codes.TOKEN_MISSING,
    "expired": error_codes.TOKEN_EXPIRED,
    "invalid": error_codes.TOKEN_INVALID,
    "unknown signing key": error_codes.TOKEN_UNKNOWN_SIGNING_KEY,
}


async def user_for_token(
    session: AsyncSession, user_tokens: UserTokens, token: str | None
) -> EndUser:
    """The live end user a user JWT was minted for (one read, no write).

    Raises:
        Unauthorized: ``token_missing``, ``token_expired``, ``token_invalid`` or
            ``token_unknown_signing_key`` (missing, expired, tampered, unsigned or not in
            its one spelling; see ``UserTokens.verify``), or ``token_unknown_user`` when its
            user was deleted or is not the ISV's the token names (401).
    """
    try:
        claims = user_tokens.verify(token)
    except InvalidUserToken as exc:
        code = _CODES.get(exc.reason, error_codes.TOKEN_INVALID)
        raise Unauthorized(f"The user token is {exc.reason}: mint a new one", code=code) from exc
    user_id = parse_id(claims.user_id)
    user = user_id and await session.get(EndUser, user_id)
    if user is None or str(user.isv_id) != claims.isv_id:
        raise Unauthorized(
            "The user token's user no longer exists", code=error_codes.TOKEN_UNKNOWN_USER
        )
    return user

"""Who is calling a route that both the ISV's backend and the end user's browser call.

``GET /integrations``, ``GET /workflows`` and ``PUT /workflows/activate|deactivate`` answer
at the same paths with an API key (``Authorization: Bearer <API key>``, about the user named
by ``userId``) and with a user JWT (``x-alloy-user-token``, about the token's own user;
spec, "End-user API"). Litestar routes one handler per path and method, so those handlers
take a ``Caller`` from ``provide_caller`` instead of the ISV-only ``provide_isv``.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import EndUser, Isv
from install_service.enduser import services
from install_service.enduser.cors import CORS_ORIGINS_STATE_KEY
from install_service.errors import Forbidden, NotFound, Unauthorized
from install_service.ids import parse_id
from install_service.isvs.dependencies import bearer_token
from install_service.isvs.services import IsvContext, authenticate
from install_service.security.user_tokens import USER_TOKEN_HEADER, InvalidUserToken, UserTokens
from install_service.settings import Settings
from install_service.users.dependencies import required_user


@dataclass(frozen=True, slots=True)
class Caller:
    """The ISV (and environment) a request acts for, and the end user when a JWT called.

    ``user`` is None for an API-key call: the handler then names the user by ``userId``.
    """

    isv: IsvContext
    user: EndUser | None = None

    async def end_user(self, session: AsyncSession, user_ref: str | None) -> EndUser:
        """The end user the call is about: the token's own user, or for an API key the
        ISV's user whose userId or username is ``user_ref``.

        Raises:
            InvalidInput: ``user_id_required`` (422), an API key without ``user_ref``.
            NotFound: ``user_not_found`` (404), no such user in the ISV environment, or a
                token call whose ``user_ref`` names anyone but the token's user.
        """
        if self.user is not None:
            if user_ref and user_ref not in {str(self.user.id), self.user.username}:
                raise NotFound("User not found", code="user_not_found")
            return self.user
        return await required_user(session, self.isv, user_ref)


async def user_for_token(
    session: AsyncSession, user_tokens: UserTokens, token: str | None
) -> EndUser:
    """The live end user a user JWT was minted for.

    Raises:
        Unauthorized: ``token_missing``, ``token_expired`` or ``token_invalid`` (missing,
            expired, tampered or unsigned; see ``UserTokens.verify``), or ``token_unknown_user``
            when its user was deleted or is not the ISV's the token names (401).
    """
    try:
        claims = user_tokens.verify(token)
    except InvalidUserToken as exc:
        code = "token_" + exc.reason.replace(" ", "_")
        raise Unauthorized(f"The user token is {exc.reason}: mint a new one", code=code) from exc
    user_id = parse_id(claims.user_id)
    user = user_id and await session.get(EndUser, user_id)
    if user is None or str(user.isv_id) != claims.isv_id:
        raise Unauthorized("The user token's user no longer exists", code="token_unknown_user")
    return user


async def provide_caller(
    request: Request, db_session: AsyncSession, user_tokens: UserTokens, settings: Settings
) -> Caller:
    """The caller, by the credential present: an API key wins over a user token.

    A token call from a browser page (an ``Origin`` other than the service's own) must come
    from one of the token's ISV's allowed origins; that list is left in the request state
    for ``EndUserCorsMiddleware`` to answer CORS with.

    Raises:
        Unauthorized: neither credential, or a bad one (401).
        Forbidden: ``origin_not_allowed`` (403), before anything is read or changed.
    """
    api_key = bearer_token(request)
    token = request.headers.get(USER_TOKEN_HEADER)
    if api_key is None and token is None:
        raise Unauthorized(
            "Send Authorization: Bearer <API key>, or x-alloy-user-token: <user JWT>",
            code="unauthorized",
        )
    if api_key is not None:
        request.state[CORS_ORIGINS_STATE_KEY] = ()  # the API key is for backends: no CORS
        return Caller(await authenticate(db_session, api_key))
    user = await user_for_token(db_session, user_tokens, token)
    isv = await db_session.get_one(Isv, user.isv_id)
    request.state[CORS_ORIGINS_STATE_KEY] = tuple(isv.allowed_origins)
    origin = request.headers.get("origin")
    normalised = services.request_origin(origin)
    if (
        origin
        and not services.same_origin(normalised, settings.public_url)
        and not services.is_listed(normalised, isv.allowed_origins)
    ):
        raise Forbidden(
            f"{origin} is not one of this ISV's allowed origins", code="origin_not_allowed"
        )
    return Caller(IsvContext(isv=isv, environment=user.environment), user)

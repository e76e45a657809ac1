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

from install_service import error_codes
from install_service.db.models import EndUser, Isv
from install_service.enduser import services
from install_service.enduser.cors import CORS_ALLOW_ORIGIN_STATE_KEY
from install_service.errors import Forbidden, NotFound, Unauthorized
from install_service.ids import parse_id
from install_service.isvs.auth_cache import USERS, CachedUser
from install_service.isvs.dependencies import bearer_token
from install_service.isvs.services import IsvContext, authenticate
from install_service.ratelimits import AuthFailures
from install_service.security.auth_cache import attach, detached_copy
from install_service.security.user_tokens import USER_TOKEN_HEADER, InvalidUserToken, UserTokens
from install_service.settings import Settings
from install_service.users.dependencies import required_user
from install_service.users.tokens import user_for_token


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
                raise NotFound("User not found", code=error_codes.USER_NOT_FOUND)
            return self.user
        return await required_user(session, self.isv, user_ref)


async def token_user(
    session: AsyncSession, user_tokens: UserTokens, token: str | None
) -> tuple[EndUser, Isv]:
    """The live end user of a user JWT and their ISV: the token is verified every time, the
    rows come from the process's cache (``isvs.auth_cache.USERS``, no SQL) or, on a miss or a
    bad token, from ``users.tokens.user_for_token`` (and its errors).

    Raises:
        Unauthorized: as ``user_for_token`` (401).
    """
    try:
        claims = user_tokens.verify(token)
    except InvalidUserToken:
        claims = None
    user_id = claims and parse_id(claims.user_id)
    cached = user_id and USERS.get(user_id)
    if cached and claims and str(cached.isv.id) == claims.isv_id:
        return attach(session, cached.user), attach(session, cached.isv)
    generation = USERS.generation()
    user = await user_for_token(session, user_tokens, token)
    isv = await session.get_one(Isv, user.isv_id)
    USERS.put(user.id, CachedUser(detached_copy(user), detached_copy(isv)), generation=generation)
    return user, isv


async def provide_caller(
    request: Request,
    db_session: AsyncSession,
    user_tokens: UserTokens,
    settings: Settings,
    auth_failures: AuthFailures,
) -> Caller:
    """The caller, by the credential present: an API key wins over a user token.

    A token call from a browser page (an ``Origin`` other than the service's own) must come
    from one of the token's ISV's allowed origins. The CORS decision (the origin that may
    read the answer, or None) is left in the request state for ``EndUserCorsMiddleware``.

    Raises:
        Unauthorized: neither credential, or a bad one (401; a bad one counts as a failed
            authentication of the client address).
        TooManyFailedAuthentications: the client address failed too often (429).
        Forbidden: ``origin_not_allowed`` (403), before anything is read or changed.
    """
    async with auth_failures.counting(request):
        api_key = bearer_token(request)
        token = request.headers.get(USER_TOKEN_HEADER)
        if api_key is None and token is None:
            raise Unauthorized(
                "Send Authorization: Bearer <API key>, or x-alloy-user-token: <user JWT>",
                code=error_codes.UNAUTHORIZED,
            )
        if api_key is not None:
            request.state[CORS_ALLOW_ORIGIN_STATE_KEY] = None  # API keys are for backends
            return Caller(await authenticate(db_session, api_key))
        user, isv = await token_user(db_session, user_tokens, token)
    origin = request.headers.get("origin")
    normalised = services.request_origin(origin)
    listed = services.is_listed(normalised, isv.allowed_origins)
    request.state[CORS_ALLOW_ORIGIN_STATE_KEY] = normalised if listed else None
    if origin and not listed and not services.same_origin(normalised, settings.public_url):
        raise Forbidden(
            f"{origin} is not one of this ISV's allowed origins",
            code=error_codes.ORIGIN_NOT_ALLOWED,
        )
    return Caller(IsvContext(isv=isv, environment=user.environment), user)

"""Who installs what: the end user, integration and options behind a modal or a link.

``modal_target`` resolves it from the modal's user JWT; ``links.services.link_target``
from an install link. The use cases in ``installs.services`` take either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.services import find_integration, find_integration_of_workflows
from install_service.db.models import EndUser, InstallLink, Integration, Isv
from install_service.errors import NotFound, Unauthorized
from install_service.installs.state import ModalState
from install_service.security.user_tokens import UserTokens
from install_service.users.tokens import user_for_token

TOKEN_PROBLEMS = {
    "missing": "This install window was opened without a user token.",
    "expired": "This install window has expired. Close it and open it again.",
}

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Target:
    """Who installs what, and how the modal was opened.

    ``before_commit`` runs last inside the install's transaction (Alloy Link claims its
    link there); ``link`` is the install link the hosted page was opened with."""

    isv: Isv
    user: EndUser
    integration: Integration
    state: ModalState
    before_commit: BeforeCommit | None = None
    link: InstallLink | None = None


TargetSource = Callable[[AsyncSession], Awaitable[Target]]


async def load_target(
    session: AsyncSession, integration_id: str | None, workflow_ids: list[str]
) -> tuple[Integration, Isv]:
    """The integration named by ``integrationId`` or by its workflows' ``id``s, and its ISV.

    Raises:
        NotFound: neither given, or unknown.
    """
    integration = None
    if integration_id:
        integration = await find_integration(session, integration_id)
    elif workflow_ids:
        integration = await find_integration_of_workflows(session, workflow_ids)
    if integration is None:
        raise NotFound(
            "We could not find this integration. It may have been removed.",
            code=error_codes.INTEGRATION_NOT_FOUND,
        )
    return integration, await session.get_one(Isv, integration.isv_id)


async def authenticate(
    session: AsyncSession, user_tokens: UserTokens, token: str | None, isv: Isv
) -> EndUser:
    """The end user behind ``token``, who must belong to the integration's ISV.

    Raises:
        Unauthorized: missing, expired, tampered or unsigned token, a deleted user, or
            another ISV's user; worded for the person looking at the modal.
    """
    try:
        user = await user_for_token(session, user_tokens, token)
    except Unauthorized as exc:
        message = TOKEN_PROBLEMS.get(
            exc.code.removeprefix("token_"), "This install window's user token is not valid."
        )
        raise Unauthorized(message, code=exc.code) from exc
    if user.isv_id != isv.id:
        raise Unauthorized(
            "This user token is not valid for this integration.", code=error_codes.TOKEN_WRONG_ISV
        )
    return user


def modal_target(user_tokens: UserTokens, token: str | None, state: ModalState) -> TargetSource:
    """The modal's target: the integration in ``state``, for the user of the JWT ``token``
    (errors as ``load_target`` and ``authenticate``)."""

    async def resolve(session: AsyncSession) -> Target:
        integration, isv = await load_target(session, state.integration_id, state.workflow_ids)
        user = await authenticate(session, user_tokens, token, isv)
        return Target(isv, user, integration, state)

    return resolve

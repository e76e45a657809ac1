"""Install links: creating them for the ISV, and honouring them on the hosted page.

Opening a link (GET, HEAD) never changes anything: email scanners open links before
people do. Completing one marks it used with a single conditional UPDATE inside the
installation's transaction, so 64 simultaneous completions make exactly one installation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.services import get_integration
from install_service.db.lookups import get_or_404
from install_service.db.models import EndUser, InstallLink, Integration, Isv
from install_service.db.transactions import write_transaction
from install_service.errors import Gone, InvalidInput, NotFound, ServiceError
from install_service.ids import parse_id
from install_service.installs.state import ModalState
from install_service.installs.targets import Target, TargetSource
from install_service.isvs.services import IsvContext
from install_service.links.tokens import MAX_AGE_S, InvalidLinkToken, LinkTokens
from install_service.users.services import get_user

DEFAULT_EXPIRES_IN_S = 7 * 24 * 3600  # Alloy Link's default: 7 days


class BadLink(ServiceError):
    """The link token is not one of ours (tampered, other purpose, retired key)."""

    status_code, code = 400, error_codes.INVALID_LINK


@dataclass(frozen=True, slots=True)
class OpenedLink:
    link: InstallLink
    isv: Isv
    user: EndUser
    integration: Integration


def link_status(link: InstallLink, now: datetime) -> str:
    """pending, opened, completed, expired or revoked."""
    if link.completed_at:
        return "completed"
    if link.revoked_at:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    return "opened" if link.first_opened_at else "pending"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def generate_link(
    session: AsyncSession,
    ctx: IsvContext,
    user_ref: str | None,
    integration_id: str | None,
    *,
    tokens: LinkTokens,
    public_url: str,
    expires_in_s: int | None,
    redirect_url: str | None,
    now: datetime | None = None,
) -> tuple[InstallLink, str]:
    """A new install link for the user (``userId`` or username) and integration, and its
    URL, built from ``public_url`` (never from the request's Host). ``expires_in_s``
    defaults to 604800 (7 days, Alloy Link's default). Commits.

    Raises:
        InvalidInput: no user or integration named, ``expires_in_s`` not in 1 s .. 30
            days, or ``redirect_url`` not on one of the ISV's allowed origins (422).
        NotFound: no such user or integration in this ISV environment (404).
    """
    async with write_transaction(session):
        return await add_link(
            session,
            ctx,
            user_ref,
            integration_id,
            tokens=tokens,
            public_url=public_url,
            expires_in_s=expires_in_s,
            redirect_url=redirect_url,
            now=now,
        )


async def add_link(
    session: AsyncSession,
    ctx: IsvContext,
    user_ref: str | None,
    integration_id: str | None,
    *,
    tokens: LinkTokens,
    public_url: str,
    expires_in_s: int | None,
    redirect_url: str | None,
    now: datetime | None = None,
) -> tuple[InstallLink, str]:
    """``generate_link`` in the caller's (write) transaction: the dashboard's Share makes
    the user, the link and its audit entry in one. Raises as ``generate_link``."""
    if not user_ref or not integration_id:
        raise InvalidInput("userId and integrationId are required")
    expires_in_s = DEFAULT_EXPIRES_IN_S if expires_in_s is None else expires_in_s
    if not 0 < expires_in_s <= MAX_AGE_S:
        raise InvalidInput(f"expiresIn must be between 1 and {MAX_AGE_S} seconds (30 days)")
    if redirect_url and _origin(redirect_url) not in ctx.isv.allowed_origins:
        raise InvalidInput("redirectUrl must be on one of your allowed origins")
    now = now or datetime.now(UTC)
    user = await get_user(session, ctx, user_ref)
    integration = await get_integration(session, ctx.isv.id, integration_id)
    link = InstallLink(
        id=uuid.uuid4(),
        isv_id=ctx.isv.id,
        user_id=user.id,
        integration_id=integration.id,
        expires_at=now + timedelta(seconds=expires_in_s),
        redirect_url=redirect_url or None,
    )
    session.add(link)
    await session.flush()
    query = urlencode({"integrationId": str(integration.id), "token": tokens.sign(str(link.id))})
    return link, f"{public_url}/embedded-install?{query}"


async def open_link(
    session: AsyncSession, tokens: LinkTokens, token: str | None, now: datetime | None = None
) -> OpenedLink:
    """The link behind ``token`` if it can still be used; changes nothing.

    Raises:
        BadLink: not our token (400).
        Gone: used, revoked or expired (410), naming the ISV to ask for a new link.
    """
    try:
        link_id = parse_id(tokens.verify(token or ""))
    except InvalidLinkToken as exc:
        raise BadLink(
            "This install link is not valid. Check that you copied the whole link."
        ) from exc
    link = link_id and await session.get(InstallLink, link_id)
    if link is None:
        raise BadLink("This install link is not valid.")
    isv = await session.get(Isv, link.isv_id)
    status = link_status(link, now or datetime.now(UTC))
    if status == "completed":
        raise Gone(
            "This install link was already used: the integration is installed.",
            code=error_codes.LINK_USED,
        )
    if status == "revoked":
        raise Gone(
            f"This install link was withdrawn by {isv.name}. Ask them for a new link.",
            code=error_codes.LINK_REVOKED,
        )
    if status == "expired":
        raise Gone(
            f"This install link has expired, ask {isv.name} for a new link.",
            code=error_codes.LINK_EXPIRED,
        )
    user = await session.get(EndUser, link.user_id)
    integration = await session.get(Integration, link.integration_id)
    return OpenedLink(link, isv, user, integration)


async def mark_opened(
    session: AsyncSession, link: InstallLink, now: datetime | None = None
) -> None:
    """Record the first Continue (a person, not a scanner, is here)."""
    await session.execute(
        update(InstallLink)
        .where(InstallLink.id == link.id, InstallLink.first_opened_at.is_(None))
        .values(first_opened_at=now or datetime.now(UTC))
    )


async def claim(session: AsyncSession, link_id: uuid.UUID, now: datetime | None = None) -> None:
    """Mark the link completed, if it still can be, inside the caller's transaction.

    Raises:
        Gone: another completion won, or it expired or was revoked meanwhile.
    """
    now = now or datetime.now(UTC)
    result = await session.execute(
        update(InstallLink)
        .where(
            InstallLink.id == link_id,
            InstallLink.completed_at.is_(None),
            InstallLink.revoked_at.is_(None),
            InstallLink.expires_at > now,
        )
        .values(completed_at=now)
    )
    if result.rowcount != 1:
        raise Gone(
            "This install link was already used: the integration is installed.",
            code=error_codes.LINK_USED,
        )


def link_target(tokens: LinkTokens, token: str | None, *, continued: bool = False) -> TargetSource:
    """The hosted page's target: the link's user and integration (errors as ``open_link``).

    ``continued``: a person pressed Continue (recorded once, see ``mark_opened``). The
    target claims the link in the install's own transaction (``claim``)."""

    async def resolve(session: AsyncSession) -> Target:
        opened = await open_link(session, tokens, token)
        if continued and opened.link.first_opened_at is None:
            async with write_transaction(session):
                await mark_opened(session, opened.link)
        link_id = opened.link.id

        async def claim_link(session: AsyncSession) -> None:
            await claim(session, link_id)

        # Continue shows what is there ("already installed", say); Finish installs even
        # over an earlier installation: the ISV sent this link to have it done.
        state = ModalState(integration_id=str(opened.integration.id), always_show=not continued)
        return Target(
            opened.isv, opened.user, opened.integration, state, before_commit=claim_link,
            link=opened.link,
        )  # fmt: skip

    return resolve


async def list_links(session: AsyncSession, ctx: IsvContext, user_ref: str) -> list[InstallLink]:
    """The user's install links, newest first.

    Raises:
        NotFound: no such user in this ISV environment (404).
    """
    user = await get_user(session, ctx, user_ref)
    query = (
        select(InstallLink)
        .where(InstallLink.user_id == user.id)
        .order_by(InstallLink.created_at.desc())
    )
    return list((await session.scalars(query)).all())


async def revoke(
    session: AsyncSession, ctx: IsvContext, link_id: str, now: datetime | None = None
) -> InstallLink:
    """Revoke a link that is neither used nor revoked yet (revoking again changes nothing).

    Raises:
        NotFound: unknown id, or another ISV's (or environment's) link (404).
    """
    async with write_transaction(session):
        link = await get_or_404(
            session,
            link_id,
            lambda lid: (
                select(InstallLink)
                .join(EndUser, EndUser.id == InstallLink.user_id)
                .where(
                    InstallLink.id == lid,
                    InstallLink.isv_id == ctx.isv.id,
                    EndUser.environment == ctx.environment,
                )
            ),
            NotFound("Link not found", code=error_codes.LINK_NOT_FOUND),
        )
        if link.revoked_at is None and link.completed_at is None:
            link.revoked_at = now or datetime.now(UTC)
    return link

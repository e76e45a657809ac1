"""Share (an integration's page): an Alloy Link for an existing end user, or for a new one
made from an email, as ``GET /install-url`` makes it (``links.services.add_link``).

The dashboard sends no email: staff copy the link and send it themselves (as Alloy's
dashboard does, reference ``alloy-link.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.audit.services import record
from install_service.catalog.services import get_integration
from install_service.dashboard.dependencies import SignedIn
from install_service.db.models import EndUser, Integration
from install_service.db.transactions import write_transaction
from install_service.errors import Conflict, InvalidInput
from install_service.links.services import add_link
from install_service.links.tokens import MAX_AGE_S, LinkTokens
from install_service.staff.services import normalise_email
from install_service.users.services import add_user, search_users

DEFAULT_DAYS = 7  # Alloy Link's default expiry
MAX_DAYS = MAX_AGE_S // 86400  # 30: the longest a link token is honoured
SEARCH_LIMIT = 20
EXISTING, NEW = "existing", "new"


@dataclass(frozen=True, slots=True)
class ShareForm:
    """What the Share form sent: ``mode`` "existing" (``user_id``) or "new" (``email``),
    ``days`` as typed."""

    mode: str = EXISTING
    user_id: str = ""
    email: str = ""
    days: str = str(DEFAULT_DAYS)


class ShareRefused(InvalidInput):
    """The form is refused (422); ``errors`` maps a field (``user_id``, ``email``,
    ``days``) to its message. Nothing was created."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SharedLink:
    url: str
    user: EndUser
    expires_at: datetime
    new_user: bool


@dataclass(frozen=True, slots=True)
class ShareView:
    """What the Share page shows: the integration, the users found (``query``), and after
    **Generate Link** either the link (``shared``) or each refused field's message."""

    integration: Integration
    users: list[EndUser]
    query: str = ""
    form: ShareForm = ShareForm()
    shared: SharedLink | None = None
    errors: dict[str, str] | None = None


async def share_page(
    session: AsyncSession, staff: SignedIn, integration_id: str, query: str = ""
) -> ShareView:
    """The integration and up to 20 end users of the session's environment whose username
    starts with ``query`` (case-insensitive).

    Raises:
        NotFound: ``integration_not_found`` (unknown, or another ISV's).
    """
    integration = await get_integration(session, staff.isv.id, integration_id)
    users = await search_users(session, staff.isv_context, query, limit=SEARCH_LIMIT)
    return ShareView(integration, users, query)


async def submit_share(
    session: AsyncSession,
    staff: SignedIn,
    integration_id: str,
    form: ShareForm,
    *,
    tokens: LinkTokens,
    public_url: str,
) -> ShareView:
    """**Generate Link** (``share``): the page with the link, or with the refusal's field
    messages (``errors``; nothing was created).

    Raises:
        NotFound: as ``share``.
    """
    try:
        shared = await share(
            session, staff, integration_id, form, tokens=tokens, public_url=public_url
        )
    except ShareRefused as exc:
        view = await share_page(session, staff, integration_id)
        return ShareView(view.integration, view.users, form=form, errors=exc.errors)
    view = await share_page(session, staff, integration_id)
    return ShareView(view.integration, view.users, form=form, shared=shared)


def _days(raw: str) -> int:
    try:
        days = int(raw.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ShareRefused({"days": f"Enter a whole number of days from 1 to {MAX_DAYS}."})
    return days


async def share(
    session: AsyncSession,
    staff: SignedIn,
    integration_id: str,
    form: ShareForm,
    *,
    tokens: LinkTokens,
    public_url: str,
) -> SharedLink:
    """A single-use install link for the chosen (or a new) end user, valid ``form.days``
    days; a new user's username is their email (normalised, lower case). One transaction:
    the user, the link and the audit entries (``user.create``, ``link.share``).

    Raises:
        ShareRefused: no user picked, a malformed email, an email that is already a user's
            username (use Share with an existing user), days not 1..30 (422).
        NotFound: ``integration_not_found``, ``user_not_found`` (a picked user who is not
            one of this environment's, another ISV's included).
    """
    days = _days(form.days)
    ctx = staff.isv_context
    if form.mode == NEW:
        try:
            username = normalise_email(form.email)
        except InvalidInput:
            raise ShareRefused({"email": "Enter an email address like name@example.com."}) from None
    elif not form.user_id:
        raise ShareRefused({"user_id": "Choose a user, or share it with a new user."})
    try:
        async with write_transaction(session):
            if form.mode == NEW:
                user = await add_user(session, ctx, username, None)
                record(
                    session,
                    staff.account,
                    "user.create",
                    environment=staff.environment,
                    target_type="user",
                    target_id=str(user.id),
                )
                user_ref = str(user.id)
            else:
                user_ref = form.user_id
            link, url = await add_link(
                session,
                ctx,
                user_ref,
                integration_id,
                tokens=tokens,
                public_url=public_url,
                expires_in_s=days * 86400,
                redirect_url=None,
            )
            record(
                session,
                staff.account,
                "link.share",
                environment=staff.environment,
                target_type="integration",
                target_id=str(link.integration_id),
                after={"linkId": str(link.id), "userId": str(link.user_id), "days": days},
            )
    except (Conflict, IntegrityError):  # only a new user's username can clash
        # The rollback expired every row of the session: the page needs the staff's again.
        await session.refresh(staff.account)
        await session.refresh(staff.isv)
        raise ShareRefused(
            {
                "email": f"A user with username {username} already exists. "
                "Choose Share with an existing user instead."
            }
        ) from None
    user = await session.get(EndUser, link.user_id)
    return SharedLink(url, user, link.expires_at, form.mode == NEW)

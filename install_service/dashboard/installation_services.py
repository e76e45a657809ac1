"""One installation as the dashboard shows it: its user and workflows, each with the
version it runs, and the activate / deactivate switch.

Installations are looked up by ``(isv_id, id)`` and the session's environment: another
ISV's (or environment's) installation answers the same 404 as an unknown one. Every change
writes its audit entry in its own transaction (``audit.services.record``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.audit.services import record
from install_service.catalog.connectors import App
from install_service.catalog.services import app_for, get_integration, load_own_versions
from install_service.dashboard.dependencies import SignedIn
from install_service.db.lookups import get_or_404
from install_service.db.models import EndUser, Installation, InstalledWorkflow, Workflow
from install_service.db.models.catalog import DRAFT
from install_service.db.transactions import write_transaction
from install_service.errors import NotFound
from install_service.workflows.manager_services import InstallationPage
from install_service.workflows.services import change_active

# Above every code point: each string starting with a prefix sorts before prefix + this.
_HIGHEST = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class InstalledItem:
    """One workflow of the installation: the user's copy (installed version, active) and
    the number of the user's unreleased user-specific draft, if any."""

    workflow: Workflow
    copy: InstalledWorkflow
    draft_version: int | None


@dataclass(frozen=True, slots=True)
class InstallationDetail:
    installation: Installation
    user: EndUser
    app: App
    workflows: list[InstalledItem]


async def search_installations(
    session: AsyncSession,
    staff: SignedIn,
    integration_ref: str,
    prefix: str,
    *,
    limit: int,
    after: str | None = None,
) -> InstallationPage:
    """Up to ``limit`` of the integration's installations in the session's environment whose
    user's username starts with ``prefix`` (case-sensitive), by username, after the username
    ``after``; ``next_cursor`` is the last username of the page (None on the last page).

    One range scan of the ``(isv_id, environment, username)`` unique index, in its order, so
    it stops after ``limit + 1`` matches however many users there are: every string with
    the prefix sorts from the prefix up to the prefix followed by U+10FFFF (exact under
    SQLite's binary and PostgreSQL's "C" collation).

    Raises:
        NotFound: ``integration_not_found``.
    """
    integration = await get_integration(session, staff.isv.id, integration_ref)
    query = (
        select(Installation, EndUser)
        .join(EndUser, EndUser.id == Installation.user_id)
        .where(
            EndUser.isv_id == staff.isv.id,
            EndUser.environment == staff.environment,
            EndUser.username >= prefix,
            EndUser.username < prefix + _HIGHEST,
            Installation.integration_id == integration.id,
        )
    )
    if after:
        query = query.where(EndUser.username > after)
    query = query.order_by(EndUser.username).limit(limit + 1)
    rows = list((await session.execute(query)).tuples())
    more = len(rows) > limit
    return InstallationPage(rows[:limit], rows[limit - 1][1].username if more else None)


async def find_installation(
    session: AsyncSession, staff: SignedIn, installation_ref: str
) -> tuple[Installation, EndUser]:
    """The ISV's installation in the session's environment, with its end user.

    Raises:
        NotFound: ``installation_not_found`` (unknown, another ISV's or environment's).
    """
    installation = await get_or_404(
        session,
        installation_ref,
        lambda iid: (
            select(Installation)
            .join(EndUser, EndUser.id == Installation.user_id)
            .where(
                Installation.id == iid,
                Installation.isv_id == staff.isv.id,
                EndUser.environment == staff.environment,
            )
        ),
        NotFound("Installation not found", code=error_codes.INSTALLATION_NOT_FOUND),
    )
    user = await session.get_one(EndUser, installation.user_id)
    return installation, user


async def installation_detail(
    session: AsyncSession, staff: SignedIn, installation_ref: str
) -> InstallationDetail:
    """The installation, its user, its app and its workflows in catalogue order.

    Raises:
        NotFound: ``installation_not_found``.
    """
    installation, user = await find_installation(session, staff, installation_ref)
    copies = sorted(installation.workflows, key=lambda c: c.workflow.position)
    workflows = [c.workflow for c in copies]
    await load_own_versions(session, workflows, user.id)
    items = [
        InstalledItem(
            c.workflow,
            c,
            max(
                (
                    v.version
                    for v in c.workflow.versions
                    if v.user_id == user.id and v.status == DRAFT
                ),
                default=None,
            ),
        )
        for c in copies
    ]
    return InstallationDetail(installation, user, app_for(installation.integration), items)


async def set_workflow_active(
    session: AsyncSession, staff: SignedIn, installation_ref: str, workflow_ref: str, active: bool
) -> InstalledWorkflow:
    """Activate or deactivate the installation's user's copy of a workflow (what ``PUT
    /workflows/activate`` and ``/deactivate`` do: ``workflows.services.change_active``) and
    record ``workflow.activate`` / ``workflow.deactivate`` with the state before and after.

    Raises:
        NotFound: ``installation_not_found``; ``workflow_not_found``;
            ``workflow_not_installed`` (a workflow of another integration).
    """
    async with write_transaction(session):
        installation, user = await find_installation(session, staff, installation_ref)
        copy = next((c for c in installation.workflows if str(c.workflow_id) == workflow_ref), None)
        if copy is None:
            raise NotFound(
                "This installation does not include that workflow",
                code=error_codes.WORKFLOW_NOT_INSTALLED,
            )
        before = copy.active
        copy = await change_active(session, staff.isv.id, user, workflow_ref, active)
        record(
            session,
            staff.account,
            "workflow.activate" if active else "workflow.deactivate",
            environment=staff.environment,
            target_type="installed_workflow",
            target_id=str(copy.id),
            before={"active": before, "userId": str(user.id), "workflowId": workflow_ref},
            after={"active": active, "userId": str(user.id), "workflowId": workflow_ref},
        )
    return copy

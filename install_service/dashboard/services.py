"""What the dashboard pages show and change, always scoped to the signed-in ISV.

Every lookup is by ``(isv_id, id)``: another ISV's id answers the same 404 as an unknown
one. Every change records an audit entry in its own transaction (``audit.services.record``).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.audit.services import AuditPage, list_entries, record
from install_service.catalog.connectors import App
from install_service.catalog.services import app_for, get_integration
from install_service.dashboard.dependencies import SignedIn
from install_service.dashboard.installation_services import search_installations
from install_service.db.models import Integration, Workflow, WorkflowVersion
from install_service.db.transactions import write_transaction
from install_service.errors import InvalidInput
from install_service.isvs.services import ENVIRONMENTS
from install_service.workflows.manager_services import InstallationPage, list_installations

INSTALLATIONS_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class IntegrationCard:
    """One integration in the Integrations list: its app (name, icon URL path) and size."""

    integration: Integration
    app: App
    workflow_count: int


@dataclass(frozen=True, slots=True)
class WorkflowVersions:
    """A workflow and its ISV-wide versions, newest first (user-specific ones are the
    Installations tab's)."""

    workflow: Workflow
    versions: list[WorkflowVersion]


@dataclass(frozen=True, slots=True)
class IntegrationPage:
    integration: Integration
    app: App
    workflows: list[WorkflowVersions]


async def list_integration_cards(session: AsyncSession, isv_id: UUID) -> list[IntegrationCard]:
    """The ISV's integrations in catalogue order, each with its app."""
    integrations = await session.scalars(
        select(Integration).where(Integration.isv_id == isv_id).order_by(Integration.created_at)
    )
    return [IntegrationCard(i, app_for(i), len(i.workflows)) for i in integrations]


async def integration_page(
    session: AsyncSession, isv_id: UUID, integration_id: str
) -> IntegrationPage:
    """The integration with its app and each workflow's ISV-wide versions.

    Raises:
        NotFound: ``integration_not_found`` (unknown, or another ISV's).
    """
    integration = await get_integration(session, isv_id, integration_id)
    workflows = [
        WorkflowVersions(w, sorted(w.versions, key=lambda v: v.version, reverse=True))
        for w in integration.workflows
    ]
    return IntegrationPage(integration, app_for(integration), workflows)


async def integration_installations(
    session: AsyncSession,
    staff: SignedIn,
    integration_id: str,
    cursor: str | None,
    username: str = "",
) -> tuple[IntegrationPage, InstallationPage]:
    """The integration and a page of its installations in the session's environment
    (``workflows.manager_services.list_installations``), oldest first; with ``username``,
    only users whose username starts with it (surrounding spaces ignored), by username,
    ``cursor`` then being the last username seen
    (``installation_services.search_installations``).

    Raises:
        NotFound: ``integration_not_found``.
        InvalidInput: ``invalid_cursor`` (422).
    """
    page = await integration_page(session, staff.isv.id, integration_id)
    if username.strip():
        installations = await search_installations(
            session,
            staff,
            integration_id,
            username.strip(),
            limit=INSTALLATIONS_PAGE_SIZE,
            after=cursor,
        )
    else:
        installations = await list_installations(
            session, staff.isv_context, integration_id, limit=INSTALLATIONS_PAGE_SIZE, cursor=cursor
        )
    return page, installations


async def switch_environment(session: AsyncSession, staff: SignedIn, environment: str) -> str:
    """Record ``environment.switch`` from the session's environment to ``environment`` (the
    caller keeps the new one in the session) and return it.

    Raises:
        InvalidInput: not "development" or "production" (422).
    """
    if environment not in ENVIRONMENTS:
        raise InvalidInput(f"Environment must be one of {', '.join(ENVIRONMENTS)}")
    async with write_transaction(session):
        record(
            session,
            staff.account,
            "environment.switch",
            environment=environment,
            before={"environment": staff.environment},
            after={"environment": environment},
        )
    return environment


async def audit_page(session: AsyncSession, staff: SignedIn, cursor: str | None) -> AuditPage:
    """A page of the ISV's audit log, newest first.

    Raises:
        InvalidInput: ``invalid_cursor`` (422).
    """
    return await list_entries(session, staff.isv.id, cursor=cursor)

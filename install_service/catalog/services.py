"""Integrations as one end user sees them: what exists, what they installed, at which version."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, lazyload, noload
from sqlalchemy.orm.attributes import set_committed_value

from install_service import error_codes
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.connectors import App
from install_service.catalog.schemas import Block, IntegrationListing, WorkflowListing
from install_service.catalog.versions import newest_released
from install_service.db.lookups import get_or_404
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Integration,
    Workflow,
    WorkflowVersion,
)
from install_service.errors import NotFound
from install_service.ids import parse_id

BLOCK_ICONS = {
    "customEvent": "/static/icons/custom-event.svg",
    "streamData": "/static/icons/stream-data.svg",
}
DEFAULT_BLOCK_ICON = "/static/icons/block.svg"


def app_for(integration: Integration) -> App:
    return load_apps()[integration.app]


async def get_integration(
    session: AsyncSession, isv_id: uuid.UUID, integration_id: str
) -> Integration:
    """The ISV's integration with that id.

    Raises:
        NotFound: unknown id, or another ISV's (404 either way).
    """
    return await get_or_404(
        session,
        integration_id,
        lambda iid: select(Integration).where(Integration.id == iid, Integration.isv_id == isv_id),
        NotFound("Integration not found", code=error_codes.INTEGRATION_NOT_FOUND),
    )


async def find_integration(session: AsyncSession, integration_id: str) -> Integration | None:
    """Any ISV's integration by id (for pages that learn the ISV from the integration)."""
    parsed = parse_id(integration_id)
    return parsed and await session.get(Integration, parsed)


async def find_integration_of_workflows(
    session: AsyncSession, workflow_ids: list[str]
) -> Integration | None:
    """The one integration all ``workflow_ids`` belong to, or None."""
    parsed = [p for p in map(parse_id, workflow_ids) if p]
    if not parsed or len(parsed) != len(workflow_ids):
        return None
    rows = (await session.scalars(select(Workflow).where(Workflow.id.in_(parsed)))).all()
    integration_ids = {w.integration_id for w in rows}
    if len(rows) != len(set(parsed)) or len(integration_ids) != 1:
        return None
    return await session.get(Integration, integration_ids.pop())


async def load_own_versions(
    session: AsyncSession, workflows: Iterable[Workflow], user_id: uuid.UUID | None
) -> None:
    """Add ``user_id``'s own user-specific versions to each workflow's ``versions`` (which
    loads the ISV-wide ones only), by number; other users' versions are never read.

    One SELECT on ``workflow_version (user_id)``; none without a user or workflows. Call it
    right after loading, before changing ``versions``.
    """
    by_id = {w.id: w for w in workflows}
    if user_id is None or not by_id:
        return
    own = await session.scalars(
        select(WorkflowVersion).where(
            WorkflowVersion.user_id == user_id, WorkflowVersion.workflow_id.in_(by_id)
        )
    )
    for version in own:
        workflow = by_id[version.workflow_id]
        if all(v.id != version.id for v in workflow.versions):
            merged = sorted([*workflow.versions, version], key=lambda v: v.version)
            set_committed_value(workflow, "versions", merged)


async def installation_for(
    session: AsyncSession, user: EndUser, integration: Integration
) -> Installation | None:
    return await session.scalar(
        select(Installation).where(
            Installation.user_id == user.id, Installation.integration_id == integration.id
        )
    )


async def list_integrations(
    session: AsyncSession, isv_id: uuid.UUID, user: EndUser, public_url: str
) -> list[IntegrationListing]:
    """Every integration of the ISV with ``user``'s installation state, in one SELECT:
    the integrations (catalogue order) with their workflows and the versions open to
    ``user`` (ISV-wide or theirs, never other users'), each beside ``user``'s installation
    of it with its installed workflows and their versions."""
    open_versions = Workflow.every_version.and_(
        or_(WorkflowVersion.user_id.is_(None), WorkflowVersion.user_id == user.id)
    )
    rows = await session.execute(
        select(Integration, Installation)
        .outerjoin(
            Installation,
            and_(Installation.integration_id == Integration.id, Installation.user_id == user.id),
        )
        .where(Integration.isv_id == isv_id)
        .order_by(Integration.created_at)
        .options(
            joinedload(Integration.workflows).options(
                joinedload(open_versions), noload(Workflow.versions)
            ),
            joinedload(Installation.workflows).options(
                joinedload(InstalledWorkflow.workflow_version),
                lazyload(InstalledWorkflow.workflow),  # in the identity map by then
            ),
            lazyload(Installation.integration),  # the row's own integration
        )
    )
    found = rows.unique().all()
    for integration, _ in found:
        for workflow in integration.workflows:
            set_committed_value(workflow, "versions", list(workflow.every_version))
    return [describe(i, installation, public_url) for i, installation in found]


def describe(
    integration: Integration, installation: Installation | None, public_url: str
) -> IntegrationListing:
    """The Quick Start's integration shape for one integration and (maybe) its installation."""
    installed = {w.workflow_id: w for w in installation.workflows} if installation else {}
    user_id = installation.user_id if installation else None
    return IntegrationListing(
        integration_id=str(integration.id),
        app=integration.app,
        name=integration.name,
        installed=installation is not None,
        icon=public_url + app_for(integration).icon,
        workflows=[
            describe_workflow(integration, w, installed.get(w.id), user_id, public_url)
            for w in integration.workflows
        ],
    )


def describe_workflow(
    integration: Integration,
    workflow: Workflow,
    copy: InstalledWorkflow | None,
    user_id: uuid.UUID | None,
    public_url: str,
) -> WorkflowListing:
    """One workflow as ``user_id`` sees it: ``version`` is the newest released version open to
    them (ISV-wide, or made for them in the Installation Manager), ``installedVersion`` the
    one their copy runs; blocks are the installed version's, else the newest's."""
    app = app_for(integration)
    latest = newest_released(workflow.versions, user_id)
    shown = copy.workflow_version if copy else latest
    blocks = [
        Block(
            name=str(b.get("name", "")),
            id=str(b.get("id", "")),
            type=str(b.get("type", "")),
            icon=public_url
            + (
                app.icon
                if b.get("app") == integration.app
                else BLOCK_ICONS.get(str(b.get("type")), DEFAULT_BLOCK_ICON)
            ),
        )
        for b in (shown.blocks if shown else [])
    ]
    return WorkflowListing(
        workflow_id=str(workflow.id),
        name=workflow.name,
        installed=copy is not None,
        version=latest.version if latest else None,
        installed_version=copy.version if copy else None,
        active=bool(copy and copy.active),
        blocks=blocks,
        integration_id=str(integration.id),
    )

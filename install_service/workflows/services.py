"""One end user's workflows: listing, activating, uninstalling and upgrading their copies.

Shared by the ISV API (user named by ``userId``) and the end-user API (user from the JWT).
Each change (activate, deactivate, uninstall, upgrade) is a use case owning its transaction.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from install_service import error_codes
from install_service.catalog.services import (
    describe_workflow,
    installation_for,
    list_integrations,
    load_own_versions,
)
from install_service.catalog.versions import input_changes, newest_released
from install_service.db.lookups import get_or_404
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Integration,
    Workflow,
)
from install_service.db.transactions import write_transaction
from install_service.errors import InvalidInput, NotFound
from install_service.triggers import subscriptions, sync
from install_service.workflows.schemas import WorkflowListing


async def find_workflow(session: AsyncSession, isv_id: UUID, workflow_ref: str) -> Workflow:
    """The ISV's workflow with id ``workflow_ref``, its integration loaded.

    Raises:
        NotFound: ``workflow_not_found`` for an unknown id or another ISV's workflow.
    """
    return await get_or_404(
        session,
        workflow_ref,
        lambda workflow_id: (
            select(Workflow)
            .join(Integration)
            .where(Workflow.id == workflow_id, Integration.isv_id == isv_id)
            .options(joinedload(Workflow.integration))
        ),
        NotFound("Workflow not found", code=error_codes.WORKFLOW_NOT_FOUND),
    )


async def installed_copy(
    session: AsyncSession, user: EndUser, workflow: Workflow
) -> InstalledWorkflow:
    """``user``'s copy of ``workflow``.

    Raises:
        NotFound: ``workflow_not_installed`` when the user has not installed it. 404 rather
            than 409, as in Alloy: the user's copy (the child workflow the call acts on)
            does not exist.
    """
    copy = await session.scalar(
        select(InstalledWorkflow)
        .join(Installation)
        .where(Installation.user_id == user.id, InstalledWorkflow.workflow_id == workflow.id)
    )
    if copy is None:
        raise NotFound(
            f"{user.username} has not installed this workflow",
            code=error_codes.WORKFLOW_NOT_INSTALLED,
        )
    return copy


async def list_workflows(
    session: AsyncSession, isv_id: UUID, user: EndUser, public_url: str
) -> list[WorkflowListing]:
    """Every workflow of the ISV as ``user`` sees it (Alloy's workflow shape: ``workflowId``,
    ``name``, ``installed``, ``version``, ``installedVersion``, ``active``, ``blocks``, plus
    ``integrationId``), integration by integration in catalogue order."""
    integrations = await list_integrations(session, isv_id, user, public_url)
    return [workflow for integration in integrations for workflow in integration.workflows]


async def get_workflow(
    session: AsyncSession, isv_id: UUID, user: EndUser, workflow_ref: str, public_url: str
) -> WorkflowListing:
    """One workflow as ``user`` sees it (shape of ``list_workflows``).

    Raises:
        NotFound: ``workflow_not_found`` (unknown, or another ISV's).
    """
    workflow = await find_workflow(session, isv_id, workflow_ref)
    await load_own_versions(session, [workflow], user.id)
    installation = await installation_for(session, user, workflow.integration)
    copy = (
        next((w for w in installation.workflows if w.workflow_id == workflow.id), None)
        if installation
        else None
    )
    return describe_workflow(workflow.integration, workflow, copy, user.id, public_url)


async def set_active(
    session: AsyncSession, isv_id: UUID, user: EndUser, workflow_ref: str, active: bool
) -> None:
    """Activate or deactivate ``user``'s copy of a workflow (idempotent).

    Raises:
        NotFound: ``workflow_not_found`` (unknown, or another ISV's); ``workflow_not_installed``
            when the user has no copy of it.
    """
    async with write_transaction(session):
        await change_active(session, isv_id, user, workflow_ref, active)


async def change_active(
    session: AsyncSession, isv_id: UUID, user: EndUser, workflow_ref: str, active: bool
) -> InstalledWorkflow:
    """``set_active`` inside the caller's transaction (the dashboard's, which also writes its
    audit entry); returns the copy, changed.

    Raises:
        NotFound: ``workflow_not_found``; ``workflow_not_installed``.
    """
    workflow = await find_workflow(session, isv_id, workflow_ref)
    copy = await installed_copy(session, user, workflow)
    copy.active = active
    return copy


async def deactivate_all(session: AsyncSession, user: EndUser) -> int:
    """Deactivate every workflow ``user`` installed; returns how many were active."""
    async with write_transaction(session):
        copies = (
            await session.scalars(
                select(InstalledWorkflow)
                .join(Installation)
                .where(Installation.user_id == user.id, InstalledWorkflow.active.is_(True))
            )
        ).all()
        for copy in copies:
            copy.active = False
    return len(copies)


async def uninstall(session: AsyncSession, isv_id: UUID, user: EndUser, workflow_ref: str) -> None:
    """Remove ``user``'s copy of a workflow; the installation goes with its last workflow
    (the credential stays: it belongs to the user, not the installation). App-trigger hooks
    no remaining workflow of the installation uses are deleted from the app.

    Raises:
        NotFound: ``workflow_not_found``; ``workflow_not_installed``.
    """
    async with write_transaction(session):
        workflow = await find_workflow(session, isv_id, workflow_ref)
        copy = await installed_copy(session, user, workflow)
        installation = await session.get_one(Installation, copy.installation_id)
        installation.workflows.remove(copy)  # delete-orphan
        hook_changes = await subscriptions.stage(session, installation, installation.workflows)
        if not installation.workflows:
            await session.delete(installation)
    await sync.request(hook_changes)  # delete hooks no workflow of the installation needs


async def upgrade(session: AsyncSession, isv_id: UUID, user: EndUser, workflow_ref: str) -> int:
    """Move ``user``'s copy to the newest released version open to them (ISV-wide or their
    own user-specific one); returns the version number they now run (unchanged when already
    there).

    Raises:
        NotFound: ``workflow_not_found``; ``workflow_not_installed``.
        InvalidInput: ``upgrade_needs_input`` (422) when the new version asks something of the
            user (see ``versions.input_changes``); the message names each difference. Per the
            Alloy Quick Start, such a version is installed through the modal (``Alloy.update``).
    """
    async with write_transaction(session):
        workflow = await find_workflow(session, isv_id, workflow_ref)
        await load_own_versions(session, [workflow], user.id)
        copy = await installed_copy(session, user, workflow)
        target = newest_released(workflow.versions, user.id)
        if target is None or target.version <= copy.version:
            return copy.version
        changes = input_changes(copy.workflow_version, target)
        if changes:
            raise InvalidInput(
                f"Version {target.version} cannot be upgraded to without {user.username}: "
                + "; ".join(changes)
                + ". Ask them to update through Alloy.update.",
                code=error_codes.UPGRADE_NEEDS_INPUT,
            )
        copy.version_id, copy.version, copy.workflow_version = target.id, target.version, target
        installation = await session.get_one(Installation, copy.installation_id)
        hook_changes = await subscriptions.stage(session, installation, installation.workflows)
    await sync.request(hook_changes)  # the new version may trigger on another app event
    return copy.version

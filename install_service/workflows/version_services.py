"""Workflow versions: list, draft, edit, release (Alloy API reference, "Workflow Versions").

A version is ``draft`` (editable) or ``released`` (frozen). An ISV-wide released version
becomes every user's ``version``; users keep their ``installedVersion`` until upgraded. A
user-specific version (Installation Manager) belongs to one end user: only that user sees
it, and releasing it moves that user at once when it asks nothing new of them
(``versions.input_changes`` is empty); otherwise the user keeps running the old version
until ``Alloy.update`` collects what is new. ``new_version``, ``change_version`` and
``release_version`` are the use cases (each owns its transaction); the rest flush inside
the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.app_actions import app_action_names
from install_service.catalog.app_triggers import app_trigger_names
from install_service.catalog.versions import input_changes
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Workflow,
    WorkflowVersion,
)
from install_service.db.models.catalog import DRAFT, RELEASED
from install_service.db.transactions import write_transaction
from install_service.errors import Conflict, InvalidInput, NotFound
from install_service.grammar.block_specs import check_blocks
from install_service.http.pagination import keyset, page
from install_service.ids import parse_id
from install_service.isvs.services import IsvContext
from install_service.workflows.services import find_workflow


@dataclass(frozen=True, slots=True)
class Release:
    """A release's outcome: ``waiting_for_update`` when a user-specific version's user keeps
    the old version until they give ``changes`` through ``Alloy.update``."""

    version: WorkflowVersion
    waiting_for_update: bool = False
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VersionPage:
    versions: list[WorkflowVersion]
    next_cursor: str | None


async def list_versions(
    session: AsyncSession,
    ctx: IsvContext,
    workflow_ref: str,
    user: EndUser | None,
    *,
    limit: int,
    cursor: str | None = None,
) -> VersionPage:
    """Up to ``limit`` of the workflow's ISV-wide versions, plus ``user``'s own user-specific
    ones, oldest (so lowest-numbered) first, after ``cursor``; other users' versions are not
    read. ``next_cursor`` is None on the last page.

    Raises:
        NotFound: ``workflow_not_found``.
        InvalidInput: ``invalid_cursor`` (422).
    """
    workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
    whose = WorkflowVersion.user_id.is_(None)
    if user is not None:
        whose = or_(whose, WorkflowVersion.user_id == user.id)
    query = select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow.id, whose)
    rows = list(await session.scalars(keyset(query, WorkflowVersion, cursor, limit)))
    return VersionPage(*page(rows, limit))


async def find_version(
    session: AsyncSession, ctx: IsvContext, workflow_ref: str, version_ref: str
) -> WorkflowVersion:
    """One version of the ISV's workflow. A user-specific version counts only in its user's
    environment (the API key's).

    Raises:
        NotFound: ``workflow_not_found``; ``version_not_found`` (unknown, of another workflow,
            or of a user in another environment).
    """
    workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
    version_id = parse_id(version_ref)
    version = version_id and await session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.id == version_id, WorkflowVersion.workflow_id == workflow.id
        )
    )
    if version and version.user_id is not None:
        owner = await session.get(EndUser, version.user_id)
        if owner is None or owner.environment != ctx.environment:
            version = None
    if not version:
        raise NotFound("Version not found", code=error_codes.VERSION_NOT_FOUND)
    return version


async def create_draft(
    session: AsyncSession,
    workflow: Workflow,
    blocks: list[dict[str, Any]],
    configurable_fields: list[dict[str, Any]],
    user_id: UUID | None = None,
) -> WorkflowVersion:
    """A new draft numbered after every existing version of ``workflow`` (user-specific ones
    included, so numbers stay unique per workflow); user-specific when ``user_id`` is given.

    Raises:
        Conflict: ``version_conflict`` when a concurrent request took the same number.
    """
    highest = await session.scalar(
        select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == workflow.id)
    )
    draft = WorkflowVersion(
        workflow_id=workflow.id,
        version=max([highest or 0, *(v.version for v in workflow.versions)]) + 1,
        status=DRAFT,
        blocks=blocks,
        configurable_fields=configurable_fields,
        user_id=user_id,
    )
    if user_id is None:
        workflow.versions.append(draft)  # ``versions`` holds the ISV-wide ones
    else:
        session.add(draft)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Another version was created at the same time; try again",
            code=error_codes.VERSION_CONFLICT,
        ) from exc
    return draft


async def edit_draft(
    session: AsyncSession,
    version: WorkflowVersion,
    blocks: list[dict[str, Any]] | None,
    configurable_fields: list[dict[str, Any]] | None,
) -> WorkflowVersion:
    """Replace a draft's blocks and/or configurable fields (``None`` keeps them).

    Raises:
        Conflict: ``version_released`` (409): released versions never change.
        InvalidInput: ``invalid_blocks`` (422): ``blocks`` break the block grammar.
    """
    _require_draft(version)
    if blocks is not None:
        require_valid_blocks(blocks)
        version.blocks = blocks
    if configurable_fields is not None:
        version.configurable_fields = configurable_fields
    await session.flush()
    return version


async def release(session: AsyncSession, version: WorkflowVersion) -> Release:
    """Release a draft. A user-specific version then goes live for its user when it asks
    nothing new of them; otherwise (or for an ISV-wide version) users move on upgrade.

    Raises:
        Conflict: ``version_released`` (409) when it is already released.
    """
    _require_draft(version)
    version.status, version.released_at = RELEASED, datetime.now(UTC)
    outcome = Release(version)
    if version.user_id is not None:
        copy = await session.scalar(
            select(InstalledWorkflow)
            .join(Installation)
            .where(
                Installation.user_id == version.user_id,
                InstalledWorkflow.workflow_id == version.workflow_id,
            )
        )
        if copy is not None and copy.version < version.version:
            changes = input_changes(copy.workflow_version, version)
            if changes:
                outcome = Release(version, waiting_for_update=True, changes=changes)
            else:
                copy.version_id, copy.version, copy.workflow_version = (
                    version.id,
                    version.version,
                    version,
                )
    await session.flush()
    return outcome


def require_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """Raises InvalidInput ``invalid_blocks`` (422) listing every problem ``check_blocks``
    finds (``grammar.block_specs``)."""
    if problems := check_blocks(
        blocks, app_actions=app_action_names(), app_triggers=app_trigger_names()
    ):
        raise InvalidInput(
            "The blocks are not valid: " + "; ".join(problems), code=error_codes.INVALID_BLOCKS
        )


def _require_draft(version: WorkflowVersion) -> None:
    if version.status != DRAFT:
        raise Conflict(
            f"Version {version.version} is released and cannot change; create a new version instead",
            code=error_codes.VERSION_RELEASED,
        )


async def new_version(
    session: AsyncSession,
    ctx: IsvContext,
    workflow_ref: str,
    blocks: list[dict[str, Any]],
    configurable_fields: list[dict[str, Any]],
) -> WorkflowVersion:
    """Create an ISV-wide draft of the workflow (``create_draft``).

    Raises:
        InvalidInput: ``invalid_blocks`` (before anything is read or written).
        NotFound: ``workflow_not_found``.
        Conflict: ``version_conflict``.
    """
    require_valid_blocks(blocks)
    async with write_transaction(session):
        workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
        return await create_draft(session, workflow, blocks, configurable_fields)


async def change_version(
    session: AsyncSession,
    ctx: IsvContext,
    workflow_ref: str,
    version_ref: str,
    blocks: list[dict[str, Any]] | None,
    configurable_fields: list[dict[str, Any]] | None,
) -> WorkflowVersion:
    """Edit a draft (``edit_draft``).

    Raises:
        NotFound: ``workflow_not_found``, ``version_not_found``.
        Conflict: ``version_released``.
        InvalidInput: ``invalid_blocks``.
    """
    async with write_transaction(session):
        version = await find_version(session, ctx, workflow_ref, version_ref)
        return await edit_draft(session, version, blocks, configurable_fields)


async def release_version(
    session: AsyncSession, ctx: IsvContext, workflow_ref: str, version_ref: str
) -> Release:
    """Release a draft (``release``).

    Raises:
        NotFound: ``workflow_not_found``, ``version_not_found``.
        Conflict: ``version_released``.
    """
    async with write_transaction(session):
        version = await find_version(session, ctx, workflow_ref, version_ref)
        return await release(session, version)

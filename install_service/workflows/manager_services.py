"""Installation Manager: an integration's installations, and user-specific versions.

Per Alloy's Installation Manager guide: each installation has one end user and their
workflows; the ISV makes a user-specific version as a copy of the version that user runs,
edits it as a draft, and releases it for that user only (see ``version_services.release``).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.services import get_integration, load_own_versions
from install_service.db.lookups import get_or_404
from install_service.db.models import EndUser, Installation, WorkflowVersion
from install_service.db.models.catalog import DRAFT
from install_service.db.transactions import write_transaction
from install_service.errors import NotFound
from install_service.http.pagination import keyset, page
from install_service.isvs.services import IsvContext
from install_service.workflows.services import find_workflow
from install_service.workflows.version_services import create_draft


@dataclass(frozen=True, slots=True)
class UserDraft:
    version: WorkflowVersion
    created: bool  # False: the user's existing draft was returned


@dataclass(frozen=True, slots=True)
class InstallationPage:
    rows: list[tuple[Installation, EndUser]]  # each installation with its end user
    next_cursor: str | None


async def list_installations(
    session: AsyncSession,
    ctx: IsvContext,
    integration_ref: str,
    *,
    limit: int,
    cursor: str | None = None,
) -> InstallationPage:
    """Up to ``limit`` of the integration's installations in the API key's environment,
    oldest first, after ``cursor``, each with its end user (the installations' workflows and
    pinned versions are loaded). ``next_cursor`` is None on the last page.

    Raises:
        NotFound: ``integration_not_found`` (unknown, or another ISV's).
        InvalidInput: ``invalid_cursor`` (422).
    """
    integration = await get_integration(session, ctx.isv.id, integration_ref)
    query = (
        select(Installation, EndUser)
        .join(EndUser, EndUser.id == Installation.user_id)
        .where(
            Installation.integration_id == integration.id, EndUser.environment == ctx.environment
        )
    )
    query = keyset(query, Installation, cursor, limit)
    rows = [(installation, user) for installation, user in (await session.execute(query)).tuples()]
    installations, next_cursor = page([installation for installation, _ in rows], limit)
    return InstallationPage(rows[: len(installations)], next_cursor)


async def user_draft(
    session: AsyncSession, ctx: IsvContext, installation_ref: str, workflow_ref: str
) -> UserDraft:
    """The installation's user's draft of a workflow: their existing user-specific draft, else
    a new one copied from the version they run.

    Raises:
        NotFound: ``installation_not_found`` (unknown, another ISV's or another environment's);
            ``workflow_not_found`` (unknown, or another ISV's); ``workflow_not_installed``
            (not part of this installation).
        Conflict: ``version_conflict`` (see ``version_services.create_draft``).
    """
    async with write_transaction(session):
        installation = await get_or_404(
            session,
            installation_ref,
            lambda iid: (
                select(Installation)
                .join(EndUser, EndUser.id == Installation.user_id)
                .where(
                    Installation.id == iid,
                    Installation.isv_id == ctx.isv.id,
                    EndUser.environment == ctx.environment,
                )
            ),
            NotFound("Installation not found", code=error_codes.INSTALLATION_NOT_FOUND),
        )
        workflow = await find_workflow(session, ctx.isv.id, workflow_ref)
        copy = next((w for w in installation.workflows if w.workflow_id == workflow.id), None)
        if copy is None:
            raise NotFound(
                "This installation does not include that workflow",
                code=error_codes.WORKFLOW_NOT_INSTALLED,
            )
        await load_own_versions(session, [workflow], installation.user_id)
        drafts = [
            v for v in workflow.versions if v.user_id == installation.user_id and v.status == DRAFT
        ]
        if drafts:
            return UserDraft(drafts[-1], created=False)
        runs = copy.workflow_version
        draft = await create_draft(
            session,
            workflow,
            deepcopy(runs.blocks),
            deepcopy(runs.configurable_fields),
            user_id=installation.user_id,
        )
        return UserDraft(draft, created=True)

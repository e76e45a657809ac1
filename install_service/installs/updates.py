"""The modal's update mode (``Alloy.update``): move installed workflows to a newer version,
asking the end user only for what the new version needs.

Until the user finishes, their installed workflows keep running the old version; finishing
switches them in the same kind of transaction as an install (webhook included).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.services import app_for, installation_for, load_own_versions
from install_service.catalog.versions import fields_to_ask, input_changes, newest_released
from install_service.db.models import EndUser, Integration, Isv, Workflow, WorkflowVersion
from install_service.db.models.catalog import RELEASED
from install_service.errors import NotFound
from install_service.installs.plans import InstallPlan, PlannedWorkflow, plan_install


async def plan_update(
    session: AsyncSession,
    *,
    user: EndUser,
    integration: Integration,
    workflow_ids: list[str],
    version_ids: list[str],
) -> InstallPlan:
    """What updating ``workflow_ids`` (default: every installed workflow of the integration)
    to ``version_ids`` (default: each one's newest released version for this user, which
    includes a released user-specific version from the Installation Manager) would ask.

    Not installed yet: the plain install plan (``Alloy.update`` then installs).

    Raises:
        NotFound: a workflow that is not part of the integration (``workflow_not_found``),
            or a version that is not a released version of one of the workflows for this
            user (``version_not_found``).
    """
    existing = await installation_for(session, user, integration)
    if existing is None:
        return await plan_install(
            session, user=user, integration=integration, workflow_ids=workflow_ids or None
        )
    await load_own_versions(session, integration.workflows, user.id)
    by_id = {str(w.id): w for w in integration.workflows}
    installed = {str(w.workflow_id): w for w in existing.workflows}
    if any(w not in by_id for w in workflow_ids):
        raise NotFound("Workflow not found", code=error_codes.WORKFLOW_NOT_FOUND)
    targets = (
        [by_id[w] for w in workflow_ids]
        if workflow_ids
        else [by_id[w] for w in installed if w in by_id]
    )
    pinned = _pinned_versions(targets, version_ids, user)
    planned, asked, ask_credentials = [], {}, False
    for workflow in targets:
        new = pinned.get(workflow.id) or newest_released(workflow.versions, user.id)
        if new is None:
            continue
        copy = installed.get(str(workflow.id))
        old = copy.workflow_version if copy is not None else None
        planned.append(
            PlannedWorkflow(str(workflow.id), workflow.name, new, old.version if old else None)
        )
        for spec in fields_to_ask(old, new):
            asked.setdefault(spec["name"], spec)
        ask_credentials |= old is not None and any(
            c.startswith("new app") for c in input_changes(old, new)
        )
    return InstallPlan(
        isv=await session.get(Isv, integration.isv_id),
        user=user,
        integration=integration,
        app=app_for(integration),
        workflows=tuple(planned),
        configurable_fields=tuple(asked.values()),
        existing=existing,
        ask_credentials=ask_credentials,
        update=True,
    )


def _pinned_versions(
    workflows: list[Workflow], version_ids: list[str], user: EndUser
) -> dict[Any, WorkflowVersion]:
    """{workflow id: version} for the ``versionId``s given; each must be a released version
    of one of ``workflows`` that applies to ``user``."""
    usable = {
        str(v.id): v
        for w in workflows
        for v in w.versions
        if v.status == RELEASED and v.user_id in (None, user.id)
    }
    if any(v not in usable for v in version_ids):
        raise NotFound("Workflow version not found", code=error_codes.VERSION_NOT_FOUND)
    return {usable[v].workflow_id: usable[v] for v in version_ids}

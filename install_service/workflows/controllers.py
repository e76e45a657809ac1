"""ISV API: one end user's workflows, and workflow versions (Alloy API reference, "Workflows").

Another ISV's workflow, version or user answers 404, never 403.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import EndUser, WorkflowVersion
from install_service.enduser.dependencies import Caller, provide_caller
from install_service.http.pagination import page_size
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.responses import Success
from install_service.settings import Settings
from install_service.users.dependencies import (
    UserIdQuery,
    provide_optional_user,
    provide_user,
    required_user,
)
from install_service.workflows import services, version_services
from install_service.workflows.schemas import (
    CreatedVersion,
    NewVersion,
    ReleasedVersion,
    UserWorkflow,
    VersionDetail,
    VersionEdit,
    VersionList,
    VersionSummary,
    WorkflowList,
    WorkflowListing,
)


class WorkflowsController(Controller):
    """A user's workflows: list, read, activate, deactivate, uninstall, upgrade."""

    tags = ["Workflows"]
    dependencies = {"isv": Provide(provide_isv), "user": Provide(provide_user)}

    @get(
        "/workflows",
        summary="List a user's workflows",
        dependencies={"caller": Provide(provide_caller)},
    )
    async def list_workflows(
        self,
        caller: Caller,
        db_session: AsyncSession,
        settings: Settings,
        user_id: UserIdQuery = None,
    ) -> WorkflowList:
        """``{"data": [workflow]}``: every workflow of the ISV with the state of the ``userId``
        user (API key) or of the token's user (``x-alloy-user-token``, the end-user API)."""
        user = await caller.end_user(db_session, user_id)
        return WorkflowList(
            data=await services.list_workflows(
                db_session, caller.isv.isv.id, user, settings.public_url
            )
        )

    @get("/workflows/{workflow_id:str}", summary="Get one of a user's workflows")
    async def get_workflow(
        self,
        workflow_id: str,
        isv: IsvContext,
        user: EndUser,
        db_session: AsyncSession,
        settings: Settings,
    ) -> WorkflowListing:
        return await services.get_workflow(
            db_session, isv.isv.id, user, workflow_id, settings.public_url
        )

    @put(
        "/workflows/activate",
        summary="Activate a user's workflow",
        dependencies={"caller": Provide(provide_caller)},
    )
    async def activate(
        self, data: UserWorkflow, caller: Caller, db_session: AsyncSession
    ) -> Success:
        """404 ``workflow_not_found`` / ``workflow_not_installed`` / ``user_not_found``; with
        a user token, ``userId`` may be left out (end-user API)."""
        return await _set_active(data, caller, db_session, active=True)

    @put(
        "/workflows/deactivate",
        summary="Deactivate a user's workflow",
        dependencies={"caller": Provide(provide_caller)},
    )
    async def deactivate(
        self, data: UserWorkflow, caller: Caller, db_session: AsyncSession
    ) -> Success:
        """As ``activate``, switching the user's copy off."""
        return await _set_active(data, caller, db_session, active=False)

    @put(
        "/users/{user_ref:str}/deactivate-workflows", summary="Deactivate all of a user's workflows"
    )
    async def deactivate_all(
        self, user_ref: str, isv: IsvContext, db_session: AsyncSession
    ) -> Success:
        user = await required_user(db_session, isv, user_ref)
        await services.deactivate_all(db_session, user)
        return Success()

    @delete(
        "/workflows/{workflow_id:str}", status_code=200, summary="Uninstall a workflow for a user"
    )
    async def uninstall(
        self, workflow_id: str, isv: IsvContext, user: EndUser, db_session: AsyncSession
    ) -> Success:
        """Removes the user's copy; the installation goes with its last workflow."""
        await services.uninstall(db_session, isv.isv.id, user, workflow_id)
        return Success()

    @put("/workflows/{workflow_id:str}/upgrade", summary="Upgrade a user's workflow")
    async def upgrade(
        self, workflow_id: str, isv: IsvContext, user: EndUser, db_session: AsyncSession
    ) -> Success:
        """To the newest released version; 422 ``upgrade_needs_input`` naming what differs."""
        await services.upgrade(db_session, isv.isv.id, user, workflow_id)
        return Success()


class VersionsController(Controller):
    """A workflow's versions: list, draft, edit a draft, release."""

    tags = ["Workflow versions"]
    dependencies = {"isv": Provide(provide_isv), "user": Provide(provide_optional_user)}

    @get("/workflows/{workflow_id:str}/versions", summary="List a workflow's versions")
    async def list_versions(
        self,
        workflow_id: str,
        isv: IsvContext,
        user: EndUser | None,
        db_session: AsyncSession,
        limit: Annotated[str | None, QueryParameter(name="limit")] = None,
        cursor: Annotated[str | None, QueryParameter(name="cursor")] = None,
    ) -> VersionList:
        """``{"data", "nextCursor"}``: ISV-wide versions, plus the ``?userId=`` user's own
        user-specific ones, oldest (lowest-numbered) first; ``limit`` 1 to 1000 (default 100,
        else 422); pass ``nextCursor`` back as ``cursor`` (null on the last page)."""
        page = await version_services.list_versions(
            db_session, isv, workflow_id, user, limit=page_size(limit), cursor=cursor
        )
        return VersionList(data=[summary(v) for v in page.versions], next_cursor=page.next_cursor)

    @post("/workflows/{workflow_id:str}/versions", summary="Create a draft version")
    async def create(
        self, workflow_id: str, data: NewVersion, isv: IsvContext, db_session: AsyncSession
    ) -> CreatedVersion:
        """201 ``{"versionId", "version"}``: an ISV-wide draft numbered after the newest."""
        fields = msgspec.to_builtins(data.configurable_fields)
        draft = await version_services.new_version(
            db_session, isv, workflow_id, data.blocks, fields
        )
        return CreatedVersion(version_id=str(draft.id), version=draft.version)

    @patch("/workflows/{workflow_id:str}/versions/{version_id:str}", summary="Edit a draft version")
    async def edit(
        self,
        workflow_id: str,
        version_id: str,
        data: VersionEdit,
        isv: IsvContext,
        db_session: AsyncSession,
    ) -> VersionDetail:
        """The draft as edited; 409 ``version_released`` for a released version."""
        fields = (
            None
            if data.configurable_fields is None
            else msgspec.to_builtins(data.configurable_fields)
        )
        version = await version_services.change_version(
            db_session, isv, workflow_id, version_id, data.blocks, fields
        )
        return VersionDetail(
            **msgspec.structs.asdict(summary(version)),
            blocks=version.blocks,
            configurable_fields=version.configurable_fields,
        )

    @put(
        "/workflows/{workflow_id:str}/versions/{version_id:str}/release",
        summary="Release a version",
    )
    async def release(
        self, workflow_id: str, version_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> ReleasedVersion:
        """The released version; for a user-specific one, ``waitingForUpdate`` and ``changes``
        say whether its user still has to give new input through ``Alloy.update``."""
        outcome = await version_services.release_version(db_session, isv, workflow_id, version_id)
        return ReleasedVersion(
            **msgspec.structs.asdict(summary(outcome.version)),
            waiting_for_update=outcome.waiting_for_update,
            changes=outcome.changes,
        )


def summary(version: WorkflowVersion) -> VersionSummary:
    return VersionSummary(
        version_id=str(version.id),
        version=version.version,
        status=version.status,
        released_at=version.released_at,
        user_specific=version.user_id is not None,
    )


async def _set_active(
    data: UserWorkflow, caller: Caller, db_session: AsyncSession, *, active: bool
) -> Success:
    user = await caller.end_user(db_session, data.user_id)
    await services.set_active(db_session, caller.isv.isv.id, user, data.workflow_id, active)
    return Success()

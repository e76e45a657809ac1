"""ISV API: the Installation Manager (Alloy's "Installation Manager" guide) over HTTP.

List an integration's installations; make a user-specific draft of the version one
installation's user runs. The draft is then edited and released through the versions
routes (``PATCH``/``PUT .../release`` in ``workflows.controllers``).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.http.pagination import page_size
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.workflows import manager_services
from install_service.workflows.schemas import (
    CreatedVersion,
    InstallationList,
    InstallationSummary,
    InstalledWorkflowSummary,
)


class InstallationsController(Controller):
    tags = ["Installation Manager"]
    dependencies = {"isv": Provide(provide_isv)}

    @get(
        "/integrations/{integration_id:str}/installations",
        summary="List an integration's installations",
    )
    async def list_installations(
        self,
        integration_id: str,
        isv: IsvContext,
        db_session: AsyncSession,
        limit: Annotated[str | None, QueryParameter(name="limit")] = None,
        cursor: Annotated[str | None, QueryParameter(name="cursor")] = None,
    ) -> InstallationList:
        """``{"data": [{"installationId", "userId", "username", "workflows": [{"workflowId",
        "versionId", "version", "userSpecific"}], "createdAt"}], "nextCursor"}``, oldest
        first; ``limit`` 1 to 1000 (default 100, else 422 ``invalid_limit``); pass
        ``nextCursor`` back as ``cursor`` for the next page (null on the last)."""
        page = await manager_services.list_installations(
            db_session, isv, integration_id, limit=page_size(limit), cursor=cursor
        )
        return InstallationList(
            next_cursor=page.next_cursor,
            data=[
                InstallationSummary(
                    installation_id=str(installation.id),
                    user_id=str(user.id),
                    username=user.username,
                    workflows=[
                        InstalledWorkflowSummary(
                            workflow_id=str(w.workflow_id),
                            version_id=str(w.version_id),
                            version=w.version,
                            user_specific=w.workflow_version.user_id is not None,
                        )
                        for w in sorted(installation.workflows, key=lambda w: w.workflow.position)
                    ],
                    created_at=installation.created_at,
                )
                for installation, user in page.rows
            ],
        )

    @post(
        "/installations/{installation_id:str}/workflows/{workflow_id:str}/versions",
        summary="Create a user-specific draft version",
    )
    async def user_draft(
        self, installation_id: str, workflow_id: str, isv: IsvContext, db_session: AsyncSession
    ) -> Response[CreatedVersion]:
        """201 ``{"versionId", "version"}`` for a new draft copied from the version the user
        runs; 200 with the user's existing draft of that workflow instead of a second one."""
        made = await manager_services.user_draft(db_session, isv, installation_id, workflow_id)
        body = CreatedVersion(version_id=str(made.version.id), version=made.version.version)
        return Response(body, status_code=201 if made.created else 200)

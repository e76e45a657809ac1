"""The install modal: ``GET /forge-install`` and the HTMX steps behind it.

Authentication is the user JWT, from the ``token`` query parameter (Alloy's own SDK) or,
as our embedded.js does it, handed over by ``postMessage`` and sent by HTMX in the
``x-alloy-user-token`` header. Never a cookie, so it works where third-party cookies are
blocked.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.errors import ServiceError
from install_service.installs import services
from install_service.installs.pages import error_page, page_headers
from install_service.installs.state import ModalState
from install_service.installs.targets import modal_target
from install_service.ratelimits import AuthFailures
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.user_tokens import USER_TOKEN_HEADER, UserTokens
from install_service.settings import Settings

IntegrationQuery = Annotated[str | None, QueryParameter(name="integrationId")]
WorkflowsQuery = Annotated[list[str] | None, QueryParameter(name="id")]
VersionsQuery = Annotated[list[str] | None, QueryParameter(name="versionId")]
AlwaysShowQuery = Annotated[str | None, QueryParameter(name="alwaysShowAuthentication")]


def step_context(step: services.Step, state: ModalState, settings: Settings) -> dict[str, Any]:
    """Template context for ``modal/_step.html`` (the form, or "already installed")."""
    errors = step.errors
    return {
        "plan": step.plan,
        "state": state,
        "already_installed": step.already_installed,
        "errors": errors.fields if errors else {},
        "summary": errors.summary if errors else "",
        "values": dict(step.values),
        "sandbox": settings.demo and step.plan.app.key in settings.app_api_bases,
    }


def finished_response(
    step: services.Step,
    state: ModalState,
    settings: Settings,
    headers: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> Template:
    """What Finish Installation answers: the success fragment (with the ``alloy:installed``
    HTMX event), or the step again, 422 when a value or the connection test was refused."""
    extra = extra or {}
    if step.installed is None:
        status = 422 if step.errors else 200
        context = step_context(step, state, settings) | extra
        return Template("modal/_step.html", context=context, status_code=status, headers=headers)
    workflow_ids = step.installed.workflow_ids
    event = json.dumps({"alloy:installed": {"workflowIds": workflow_ids}})
    return Template(
        "modal/_success.html",
        context={"plan": step.plan, "state": state, "workflow_ids": workflow_ids} | extra,
        headers=headers | {"hx-trigger": event},
    )


class ModalController(Controller):
    path = "/forge-install"
    include_in_schema = False
    exception_handlers = {ServiceError: error_page}

    @get("/")
    async def page(
        self,
        db_session: AsyncSession,
        user_tokens: UserTokens,
        settings: Settings,
        integration_id: IntegrationQuery = None,
        workflow_ids: WorkflowsQuery = None,
        version_ids: VersionsQuery = None,
        token: Annotated[str | None, QueryParameter(name="token")] = None,
        parent_origin: Annotated[str | None, QueryParameter(name="parentOrigin")] = None,
        operation: str | None = None,
        hide: str | None = None,
        always_show: AlwaysShowQuery = None,
        title: str | None = None,
    ) -> Template:
        """The modal page. Without ``token`` (our SDK) it renders a shell that asks the parent
        for the token by postMessage; with one (Alloy's SDK) it renders the first step."""
        state = ModalState.parse(
            integration_id, workflow_ids, operation, always_show, hide, title, version_ids
        )
        handshake = token is None and bool(parent_origin)
        page = await services.open_modal(db_session, user_tokens, state, token, handshake=handshake)
        headers = page_headers(page.isv.allowed_origins)
        if page.problem is not None:
            return Template(
                "error.html",
                context={
                    "status": 401,
                    "message": page.problem.message,
                    "allowed_origins": page.isv.allowed_origins,  # so that Close can post
                },
                status_code=401,
                headers=headers,
            )
        context: dict[str, Any] = {
            "integration": page.integration,
            "isv": page.isv,
            "state": state,
            "allowed_origins": page.isv.allowed_origins,
            "step_url": f"/forge-install/step?{state.query()}",
            "handshake": handshake,
        }
        if page.step is not None:
            context |= step_context(page.step, state, settings)
        return Template("modal/page.html", context=context, headers=headers)

    @get("/step")
    async def step(
        self,
        request: Request,
        db_session: AsyncSession,
        user_tokens: UserTokens,
        settings: Settings,
        auth_failures: AuthFailures,
        integration_id: IntegrationQuery = None,
        workflow_ids: WorkflowsQuery = None,
        version_ids: VersionsQuery = None,
        operation: str | None = None,
        always_show: AlwaysShowQuery = None,
    ) -> Template:
        """The current step as a fragment, for the shell once the token arrived."""
        state = ModalState.parse(
            integration_id, workflow_ids, operation, always_show, version_ids=version_ids
        )
        token = request.headers.get(USER_TOKEN_HEADER)
        async with auth_failures.counting(request):  # a bad token counts against the address
            target, step = await services.show_step(
                db_session, modal_target(user_tokens, token, state)
            )
        return Template(
            "modal/_step.html",
            context=step_context(step, state, settings),
            headers=page_headers(target.isv.allowed_origins),
        )

    @post("/install")
    async def finish(
        self,
        request: Request,
        db_session: AsyncSession,
        user_tokens: UserTokens,
        settings: Settings,
        cipher: CredentialCipher,
        http_client: httpx.AsyncClient,
        auth_failures: AuthFailures,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Finish Installation: validate, test the connection, then install in one transaction."""
        form = last_values(data)
        state = ModalState.parse(
            form.get("integrationId"),
            all_values(data, "id"),
            form.get("operation"),
            form.get("alwaysShowAuthentication"),
            version_ids=all_values(data, "versionId"),
        )
        token = request.headers.get(USER_TOKEN_HEADER)
        async with auth_failures.counting(request):  # a bad token counts against the address
            target, step = await services.finish_install(
                db_session,
                modal_target(user_tokens, token, state),
                form,
                settings=settings,
                cipher=cipher,
                http_client=http_client,
            )
        return finished_response(step, state, settings, page_headers(target.isv.allowed_origins))


def last_values(data: dict[str, Any]) -> dict[str, str]:
    """A URL-encoded form as {name: its last value}."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in data.items()}


def all_values(data: dict[str, Any], name: str) -> list[str]:
    """Every value of a repeatable form field (``id``, ``versionId``)."""
    values = data.get(name) or []
    return values if isinstance(values, list) else [values]

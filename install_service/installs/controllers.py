"""The install modal: ``GET /forge-install`` and the HTMX steps behind it.

Authentication is the user JWT, from the ``token`` query parameter (Alloy's own SDK) or,
as our embedded.js does it, handed over by ``postMessage`` and sent by HTMX in the
``x-alloy-user-token`` header. Never a cookie, so it works where third-party cookies are
blocked.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.catalog import connection_test
from install_service.catalog.services import find_integration, find_integration_of_workflows
from install_service.db.models import EndUser, Integration, Isv
from install_service.errors import NotFound, ServiceError, Unauthorized
from install_service.installs import services, updates
from install_service.installs.pages import error_page, page_headers
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.user_tokens import USER_TOKEN_HEADER, UserTokens
from install_service.settings import Settings
from install_service.users.tokens import user_for_token

TOKEN_PROBLEMS = {
    "missing": "This install window was opened without a user token.",
    "expired": "This install window has expired. Close it and open it again.",
}


async def load_target(
    session: AsyncSession, integration_id: str | None, workflow_ids: list[str]
) -> tuple[Integration, Isv]:
    """The integration named by ``integrationId`` or by its workflows' ``id``s, and its ISV.

    Raises:
        NotFound: neither given, or unknown.
    """
    integration = None
    if integration_id:
        integration = await find_integration(session, integration_id)
    elif workflow_ids:
        integration = await find_integration_of_workflows(session, workflow_ids)
    if integration is None:
        raise NotFound(
            "We could not find this integration. It may have been removed.",
            code="integration_not_found",
        )
    return integration, await session.get(Isv, integration.isv_id)


async def authenticate(
    session: AsyncSession, user_tokens: UserTokens, token: str | None, isv: Isv
) -> EndUser:
    """The end user behind ``token``, who must belong to the integration's ISV.

    Raises:
        Unauthorized: missing, expired, tampered or unsigned token, a deleted user, or
            another ISV's user; worded for the person looking at the modal.
    """
    try:
        user = await user_for_token(session, user_tokens, token)
    except Unauthorized as exc:
        message = TOKEN_PROBLEMS.get(
            exc.code.removeprefix("token_"), "This install window's user token is not valid."
        )
        raise Unauthorized(message, code=exc.code) from exc
    if user.isv_id != isv.id:
        raise Unauthorized(
            "This user token is not valid for this integration.", code="token_wrong_isv"
        )
    return user


class ModalState:
    """The options the modal was opened with, carried from step to step."""

    def __init__(
        self,
        integration_id: str | None,
        workflow_ids: list[str],
        operation: str | None,
        always_show: bool,
        hide: bool,
        title: str | None,
        version_ids: list[str] | None = None,
    ) -> None:
        self.integration_id = integration_id
        self.workflow_ids = workflow_ids
        self.version_ids = version_ids or []
        self.operation = operation if operation in {"update", "edit"} else None
        self.always_show = always_show
        self.hide = hide
        self.title = title

    @property
    def reinstall(self) -> bool:
        """Ask for credentials again even when installed (update, edit, alwaysShowAuthentication)."""
        return self.always_show or self.operation is not None

    def query(self) -> str:
        params: list[tuple[str, str]] = []
        if self.integration_id:
            params.append(("integrationId", self.integration_id))
        params += [("id", w) for w in self.workflow_ids]
        params += [("versionId", v) for v in self.version_ids]
        if self.operation:
            params.append(("operation", self.operation))
        if self.always_show:
            params.append(("alwaysShowAuthentication", "true"))
        return urlencode(params)


async def render_step(
    session: AsyncSession,
    state: ModalState,
    user: EndUser,
    integration: Integration,
    settings: Settings,
    *,
    form_errors: services.FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Template context for the current step (the form, or "already installed")."""
    plan = await plan_for(session, state, user, integration)
    return {
        "plan": plan,
        "state": state,
        "already_installed": plan.existing is not None and not state.reinstall,
        "errors": form_errors.fields if form_errors else {},
        "summary": form_errors.summary if form_errors else "",
        "values": values or {},
        "sandbox": settings.demo and plan.app.key in settings.app_api_bases,
    }


async def plan_for(
    session: AsyncSession, state: ModalState, user: EndUser, integration: Integration
) -> services.InstallPlan:
    """The install plan, or in update mode (``operation=update``) the update plan."""
    if state.operation == "update":
        return await updates.plan_update(
            session,
            user=user,
            integration=integration,
            workflow_ids=state.workflow_ids,
            version_ids=state.version_ids,
        )
    return await services.plan_install(
        session, user=user, integration=integration, workflow_ids=state.workflow_ids or None
    )


def _state(
    integration_id: str | None,
    workflow_ids: list[str] | None,
    operation: str | None,
    always_show: str | None,
    hide: str | None = None,
    title: str | None = None,
    version_ids: list[str] | None = None,
) -> ModalState:
    return ModalState(
        integration_id,
        workflow_ids or [],
        operation,
        always_show == "true",
        hide == "true",
        title,
        version_ids,
    )


class ModalController(Controller):
    path = "/forge-install"
    include_in_schema = False
    exception_handlers = {ServiceError: error_page}

    @get("/")
    async def page(
        self,
        request: Request,
        db_session: AsyncSession,
        user_tokens: UserTokens,
        settings: Settings,
        integration_id: Annotated[str | None, QueryParameter(name="integrationId")] = None,
        workflow_ids: Annotated[list[str] | None, QueryParameter(name="id")] = None,
        version_ids: Annotated[list[str] | None, QueryParameter(name="versionId")] = None,
        token: Annotated[str | None, QueryParameter(name="token")] = None,
        parent_origin: Annotated[str | None, QueryParameter(name="parentOrigin")] = None,
        operation: str | None = None,
        hide: str | None = None,
        always_show: Annotated[str | None, QueryParameter(name="alwaysShowAuthentication")] = None,
        title: str | None = None,
    ) -> Template:
        """The modal page. Without ``token`` (our SDK) it renders a shell that asks the parent
        for the token by postMessage; with one (Alloy's SDK) it renders the first step."""
        integration, isv = await load_target(db_session, integration_id, workflow_ids or [])
        headers = page_headers(isv.allowed_origins)
        state = _state(
            integration_id, workflow_ids, operation, always_show, hide, title, version_ids
        )
        context: dict[str, Any] = {
            "integration": integration,
            "isv": isv,
            "state": state,
            "allowed_origins": isv.allowed_origins,
            "step_url": f"/forge-install/step?{state.query()}",
            "handshake": token is None and bool(parent_origin),
        }
        if not context["handshake"]:
            try:
                user = await authenticate(db_session, user_tokens, token, isv)
            except Unauthorized as exc:
                return Template(
                    "error.html",
                    context={"status": 401, "message": exc.message},
                    status_code=401,
                    headers=headers,
                )
            context.update(await render_step(db_session, state, user, integration, settings))
        return Template("modal/page.html", context=context, headers=headers)

    @get("/step")
    async def step(
        self,
        request: Request,
        db_session: AsyncSession,
        user_tokens: UserTokens,
        settings: Settings,
        integration_id: Annotated[str | None, QueryParameter(name="integrationId")] = None,
        workflow_ids: Annotated[list[str] | None, QueryParameter(name="id")] = None,
        version_ids: Annotated[list[str] | None, QueryParameter(name="versionId")] = None,
        operation: str | None = None,
        always_show: Annotated[str | None, QueryParameter(name="alwaysShowAuthentication")] = None,
    ) -> Template:
        """The current step as a fragment, for the shell once the token arrived."""
        integration, isv = await load_target(db_session, integration_id, workflow_ids or [])
        user = await authenticate(
            db_session, user_tokens, request.headers.get(USER_TOKEN_HEADER), isv
        )
        state = _state(
            integration_id, workflow_ids, operation, always_show, version_ids=version_ids
        )
        context = await render_step(db_session, state, user, integration, settings)
        return Template(
            "modal/_step.html", context=context, headers=page_headers(isv.allowed_origins)
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
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Finish Installation: validate, test the connection, then install in one transaction."""
        form = {k: (v[-1] if isinstance(v, list) else v) for k, v in data.items()}
        state = _state(
            form.get("integrationId"),
            _all(data, "id"),
            form.get("operation"),
            form.get("alwaysShowAuthentication"),
            version_ids=_all(data, "versionId"),
        )
        integration, isv = await load_target(db_session, state.integration_id, state.workflow_ids)
        user = await authenticate(
            db_session, user_tokens, request.headers.get(USER_TOKEN_HEADER), isv
        )
        headers = page_headers(isv.allowed_origins)
        return await finish_install(
            db_session,
            state,
            user,
            integration,
            form,
            settings=settings,
            cipher=cipher,
            http_client=http_client,
            headers=headers,
        )


async def finish_install(
    db_session: AsyncSession,
    state: ModalState,
    user: EndUser,
    integration: Integration,
    form: dict[str, str],
    *,
    settings: Settings,
    cipher: CredentialCipher,
    http_client: httpx.AsyncClient,
    headers: dict[str, str],
    extra: dict[str, Any] | None = None,
    before_commit: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> Template:
    """Finish Installation for the modal and for Alloy Link: validate the form, test the
    connection (no database lock held meanwhile), then install in one transaction.
    Answers the success fragment, or the form again (422) with inline messages."""
    extra = extra or {}
    plan = await plan_for(db_session, state, user, integration)
    if plan.existing is not None and not state.reinstall:
        context = await render_step(db_session, state, user, integration, settings)
        return Template("modal/_step.html", context=context | extra, headers=headers)
    public_values = {f.name: form.get(f.name, "") for f in plan.app.fields if not f.secret}
    public_values |= {k: v for k, v in form.items() if k.startswith("config.")}
    try:
        credentials, configuration = services.check_form(plan, form)
        await db_session.commit()  # hold no database lock while the app is called
        if plan.ask_credentials:
            result = await connection_test.test_connection(
                plan.app,
                credentials,
                api_base=settings.api_base_for(plan.app.key),
                client=http_client,
            )
            if not result.ok:
                raise services.FormErrors(
                    {}, result.reason or f"{plan.app.name} refused these credentials."
                )
    except services.FormErrors as errors:
        context = await render_step(
            db_session, state, user, integration, settings, form_errors=errors, values=public_values
        )
        return Template(
            "modal/_step.html", context=context | extra, status_code=422, headers=headers
        )
    outcome = await services.install(
        db_session, plan, credentials, configuration, cipher, before_commit=before_commit
    )
    return Template(
        "modal/_success.html",
        context={"plan": plan, "state": state, "workflow_ids": outcome.workflow_ids} | extra,
        headers=headers | {"hx-trigger": _installed_event(outcome.workflow_ids)},
    )


def _all(data: dict[str, Any], name: str) -> list[str]:
    """Every value of a repeatable form field (``id``, ``versionId``)."""
    values = data.get(name) or []
    return values if isinstance(values, list) else [values]


def _installed_event(workflow_ids: list[str]) -> str:
    return json.dumps({"alloy:installed": {"workflowIds": workflow_ids}})

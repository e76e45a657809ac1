"""Alloy Link: the ISV API that makes install links, and the hosted page that honours them.

The hosted page (``GET /embedded-install``) is never framed (``frame-ancestors 'none'``),
and GET/HEAD change nothing: the first screen names the ISV and the integration and asks
for **Continue**. The steps after it are the modal's own templates and install use cases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from litestar import Controller, HttpMethod, delete, get, post, route
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.errors import ServiceError
from install_service.installs import services as installs
from install_service.installs.controllers import finished_response, last_values, step_context
from install_service.installs.pages import error_page, page_headers
from install_service.installs.targets import Target
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.links import services
from install_service.links.schemas import InstallUrl, Link, LinkList
from install_service.links.tokens import LinkTokens
from install_service.responses import Success
from install_service.security.credential_crypto import CredentialCipher
from install_service.settings import Settings

HOSTED = page_headers(None)
FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class LinksController(Controller):
    """ISV API: generate, list and revoke install links."""

    tags = ["Install links"]
    dependencies = {"isv": Provide(provide_isv)}

    @get(
        ["/users/{user_ref:str}/integrations/{integration_id:str}/install-url", "/install-url"],
        summary="Generate an install link",
    )
    async def install_url(
        self,
        isv: IsvContext,
        db_session: AsyncSession,
        settings: Settings,
        link_tokens: LinkTokens,
        user_ref: str | None = None,
        integration_id: str | None = None,
        user_query: Annotated[str | None, QueryParameter(name="userId")] = None,
        integration_query: Annotated[str | None, QueryParameter(name="integrationId")] = None,
        expires_in: Annotated[int | None, QueryParameter(name="expiresIn")] = None,
        redirect_url: Annotated[str | None, QueryParameter(name="redirectUrl")] = None,
    ) -> InstallUrl:
        """``{"url", "linkId", "expiresAt"}``; ``expiresIn`` seconds (default 604800, at most
        30 days, else 422); ``redirectUrl`` must be on an allowed origin (else 422)."""
        link, url = await services.generate_link(
            db_session,
            isv,
            user_ref or user_query,
            integration_id or integration_query,
            tokens=link_tokens,
            public_url=settings.public_url,
            expires_in_s=expires_in,
            redirect_url=redirect_url,
        )
        return InstallUrl(url=url, link_id=str(link.id), expires_at=link.expires_at)

    @get("/users/{user_ref:str}/links", summary="List a user's install links")
    async def list_links(
        self, user_ref: str, isv: IsvContext, db_session: AsyncSession
    ) -> LinkList:
        now = datetime.now(UTC)
        return LinkList(
            data=[
                Link(
                    link_id=str(link.id),
                    integration_id=str(link.integration_id),
                    status=services.link_status(link, now),
                    created_at=link.created_at,
                    expires_at=link.expires_at,
                    first_opened_at=link.first_opened_at,
                    completed_at=link.completed_at,
                    revoked_at=link.revoked_at,
                )
                for link in await services.list_links(db_session, isv, user_ref)
            ]
        )

    @delete("/links/{link_id:str}", status_code=200, summary="Revoke an install link")
    async def revoke(self, link_id: str, isv: IsvContext, db_session: AsyncSession) -> Success:
        await services.revoke(db_session, isv, link_id)
        return Success()


class HostedInstallController(Controller):
    """The hosted install page an emailed link opens."""

    path = "/embedded-install"
    include_in_schema = False
    exception_handlers = {ServiceError: lambda request, exc: _no_frame(error_page(request, exc))}

    @route("/", http_method=[HttpMethod.GET, HttpMethod.HEAD])
    async def landing(
        self, db_session: AsyncSession, link_tokens: LinkTokens, token: str | None = None
    ) -> Template:
        """Names the ISV and the integration and offers Continue; changes nothing (GET, HEAD)."""
        opened = await services.open_link(db_session, link_tokens, token)
        context = _context(opened.isv, opened.integration, opened.link.redirect_url, token)
        return Template("links/page.html", context=context, headers=HOSTED)

    @post("/continue", status_code=200)
    async def proceed(
        self, db_session: AsyncSession, link_tokens: LinkTokens, settings: Settings, data: FormData
    ) -> Template:
        """A person pressed Continue: record it and show the install form."""
        token = last_values(data).get("token")
        target, step = await installs.show_step(
            db_session, services.link_target(link_tokens, token, continued=True)
        )
        context = step_context(step, target.state, settings) | _target_context(target, token)
        return Template("modal/_step.html", context=context, headers=HOSTED)

    @post("/install", status_code=200)
    async def finish(
        self,
        db_session: AsyncSession,
        link_tokens: LinkTokens,
        settings: Settings,
        cipher: CredentialCipher,
        http_client: httpx.AsyncClient,
        data: FormData,
    ) -> Template:
        """Finish Installation; the link is claimed in the installation's own transaction."""
        form = last_values(data)
        token = form.get("token")
        target, step = await installs.finish_install(
            db_session,
            services.link_target(link_tokens, token),
            form,
            settings=settings,
            cipher=cipher,
            http_client=http_client,
        )
        extra = _target_context(target, token)
        return finished_response(step, target.state, settings, HOSTED, extra)


def _target_context(target: Target, token: str | None) -> dict[str, Any]:
    redirect_url = target.link.redirect_url if target.link else None
    return _context(target.isv, target.integration, redirect_url, token)


def _context(isv: Any, integration: Any, redirect_url: str | None, token: str | None) -> dict:
    return {
        "isv": isv,
        "integration": integration,
        "link_token": token,
        "hosted": True,
        "form_action": "/embedded-install/install",
        "redirect_url": redirect_url,
    }


def _no_frame(response: Any) -> Any:
    response.headers.update(HOSTED)
    return response

"""Demo pages: AcmeCo's integrations page (/demo), its webhook inbox, the BigCommerce sandbox."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.demo.services import (
    SANDBOX_PATH,
    SANDBOX_TOKEN,
    WebhookInbox,
    demo_isv,
    demo_page,
)
from install_service.security.keys import KeyRing
from install_service.security.user_tokens import UserTokens
from install_service.settings import Settings


def _inbox(state: State) -> WebhookInbox:
    if "demo_inbox" not in state:
        state.demo_inbox = WebhookInbox()
    return state.demo_inbox


class DemoController(Controller):
    path = "/demo"
    include_in_schema = False

    @get("/")
    async def integrations_page(
        self, db_session: AsyncSession, user_tokens: UserTokens, settings: Settings
    ) -> Template:
        """Plays the ISV's integrations page (like Postscript's in the Quick Start)."""
        page = await demo_page(db_session, user_tokens, settings.public_url)
        return Template(
            "demo/index.html",
            context={
                "isv": page.isv,
                "user": page.user,
                "integrations": page.integrations,
                "token": page.token,
            },
        )

    @post("/webhooks", status_code=200)
    async def receive_webhook(
        self, request: Request, db_session: AsyncSession, keys: KeyRing, settings: Settings
    ) -> dict[str, Any]:
        """The demo ISV's webhook receiver: verifies both signatures, answers 2xx."""
        isv = await demo_isv(db_session)
        body = await request.body()
        item = _inbox(request.app.state).receive(
            settings.public_url + "/demo/webhooks",
            dict(request.headers),
            body,
            isv.webhook_secret if isv else "",
            keys.webhook_public_key_pem,
        )
        return {
            "received": True,
            "verified": item.standard_webhooks_valid and item.alloy_signature_valid,
        }

    @get("/webhooks")
    async def inbox(self, request: Request) -> Template:
        return Template(
            "demo/webhooks.html", context={"received": list(_inbox(request.app.state).received)}
        )


class SandboxController(Controller):
    """A stand-in for BigCommerce's store API, so the demo works offline."""

    path = SANDBOX_PATH
    include_in_schema = False

    @get("/stores/{store_hash:str}/v2/store")
    async def store(self, request: Request, store_hash: str) -> Response[Any]:
        if request.headers.get("x-auth-token") != SANDBOX_TOKEN:
            return Response(
                {
                    "status": 401,
                    "title": f"The access token is not valid for this store (sandbox: use {SANDBOX_TOKEN})",
                    "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
                },
                status_code=401,
            )
        return Response(
            {
                "id": store_hash,
                "name": "Sandbox Store",
                "domain": f"{store_hash}.sandbox.invalid",
                "plan_name": "Sandbox",
            }
        )

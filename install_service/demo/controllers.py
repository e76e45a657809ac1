"""Demo pages: AcmeCo's integrations page (/demo) with its "Fulfillment Updated" sender,
its webhook inbox, the BigCommerce sandbox store's page and the sandbox API itself."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.demo.runs import FULFILLMENT_STATUSES, OTHER_STATUS
from install_service.demo.sandbox import SEED_ORDERS, SandboxError, SandboxStore
from install_service.demo.services import (
    SANDBOX_PATH,
    SANDBOX_TOKEN,
    WebhookInbox,
    demo_isv,
    demo_page,
    demo_runs,
    send_fulfillment_update,
)
from install_service.security.keys import KeyRing
from install_service.security.user_tokens import UserTokens
from install_service.settings import Settings


def _inbox(state: State) -> WebhookInbox:
    if "demo_inbox" not in state:
        state.demo_inbox = WebhookInbox()
    return state.demo_inbox


def _sandbox(state: State) -> SandboxStore:
    """The sandbox store of this server process (in memory, see ``demo.sandbox``)."""
    if "demo_sandbox" not in state:
        state.demo_sandbox = SandboxStore()
    return state.demo_sandbox


class FulfillmentForm(msgspec.Struct, rename="camel"):
    """The "Send Fulfillment Updated" form: ``status`` is one of FULFILLMENT_STATUSES, or
    ``other`` with the value typed in ``otherStatus``."""

    order_id: str = ""
    status: str = ""
    other_status: str = ""

    @property
    def event_status(self) -> str:
        return self.other_status if self.status == OTHER_STATUS else self.status


FORM_CONTEXT = {
    "statuses": FULFILLMENT_STATUSES,
    "other_status": OTHER_STATUS,
    "sandbox_orders": [order_id for order_id, _, _ in SEED_ORDERS],
}


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
                "runs": page.runs,
                "result": None,
                "form": FulfillmentForm(order_id="101", status="FULFILLED"),
            }
            | FORM_CONTEXT,
        )

    @post("/events")
    async def send_event(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        data: Annotated[FulfillmentForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Plays AcmeCo's backend sending "Fulfillment Updated"; answers the result and log
        fragment (a full page without HTMX), with the API's status code."""
        sent = await send_fulfillment_update(db_session, data.order_id, data.event_status)
        return Template(
            "demo/_event_result.html" if request.htmx else "demo/event.html",
            context={"result": sent.result, "runs": sent.runs},
            status_code=sent.result.status_code,
        )

    @get("/runs")
    async def runs(self, db_session: AsyncSession) -> Template:
        """The log view's fragment: it polls this while a run has not finished."""
        return Template("demo/_runs.html", context={"runs": await demo_runs(db_session)})

    @get("/store")
    async def store_page(self, request: Request) -> Template:
        """The BigCommerce sandbox store's orders (what the workflow changes)."""
        return Template(
            "demo/store.html", context={"orders": _sandbox(request.app.state).listing()}
        )

    @get("/store/orders")
    async def store_orders(self, request: Request) -> Template:
        """The orders table's body, which the store page polls every 2 s."""
        return Template(
            "demo/_orders.html", context={"orders": _sandbox(request.app.state).listing()}
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


def _v2_error(_: Request, exc: SandboxError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status)


def _check_token(request: Request) -> None:
    """Raises SandboxError (401, V2 shape) unless ``X-Auth-Token`` is the sandbox token."""
    if request.headers.get("x-auth-token") != SANDBOX_TOKEN:
        raise SandboxError(
            401, f"The access token is not valid for this store (sandbox: use {SANDBOX_TOKEN})"
        )


class SandboxController(Controller):
    """A stand-in for BigCommerce's store API, so the demo works offline: the connection
    test's ``/v2/store`` and Orders v2 ``GET``/``PUT /v2/orders/{id}`` (see ``demo.sandbox``).
    """

    path = SANDBOX_PATH
    include_in_schema = False
    exception_handlers = {SandboxError: _v2_error}

    @get("/stores/{store_hash:str}/v2/orders/{order_id:str}")
    async def get_order(self, request: Request, store_hash: str, order_id: str) -> dict[str, Any]:
        _check_token(request)
        return _sandbox(request.app.state).get(order_id).as_json()

    @put("/stores/{store_hash:str}/v2/orders/{order_id:str}")
    async def update_order(
        self, request: Request, store_hash: str, order_id: str
    ) -> dict[str, Any]:
        """``{"status_id": int}``: 400 for another status or body, 404 for an unknown order;
        the token is checked first (401), as BigCommerce does."""
        _check_token(request)
        try:
            body = await request.json()
        except SerializationException:  # not JSON (sent as another content type)
            body = None
        return _sandbox(request.app.state).update(order_id, body).as_json()

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

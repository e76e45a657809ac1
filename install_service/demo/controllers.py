"""Demo pages: AcmeCo's integrations page (/demo) with its "Fulfillment Updated" sender,
its webhook inbox, the BigCommerce sandbox store's page (with "Create order") and the
sandbox API itself."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.demo import callbacks
from install_service.demo.runs import FULFILLMENT_STATUSES, OTHER_STATUS
from install_service.demo.sandbox import (
    ORDER_CREATED,
    SEED_ORDERS,
    SandboxError,
    SandboxStore,
    V3Error,
)
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
        """The BigCommerce sandbox store's orders (what the workflows read and change) and
        the webhooks installs registered in it."""
        return Template("demo/store.html", context=_store_context(request.app.state))

    @get("/store/orders")
    async def store_orders(self, request: Request) -> Template:
        """The orders table's body, which the store page polls every 2 s."""
        return Template(
            "demo/_orders.html", context={"orders": _sandbox(request.app.state).listing()}
        )

    @post("/store/orders", status_code=200)
    async def create_order(self, request: HTMXRequest, http_client: httpx.AsyncClient) -> Template:
        """The store page's "Create order": a new sandbox order, then BigCommerce's
        ``store/order/created`` callback to each active hook (see ``demo.callbacks``); answers what happened (the
        whole store page without HTMX)."""
        sandbox = _sandbox(request.app.state)
        created = await callbacks.create_order(sandbox, http_client)
        if request.htmx:
            context = {"created": created, "orders": sandbox.listing(), "oob_rows": True}
            return Template("demo/_order_created.html", context=context)
        context = _store_context(request.app.state) | {"created": created}
        return Template("demo/store.html", context=context)

    @get("/store/hooks")
    async def store_hooks(self, request: Request) -> Template:
        """The registered webhooks' list, which the store page polls every 2 s."""
        return Template("demo/_hooks.html", context=_store_context(request.app.state))

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
    async def inbox(self, request: HTMXRequest, seen: int | None = None) -> Template | Response:
        """What the inbox received, newest first. The list polls this with ``seen``, the
        count it shows: 204 (nothing to swap) while nothing new came, else the list only."""
        inbox = _inbox(request.app.state)
        if request.htmx and seen == inbox.count:
            return Response(None, status_code=204)
        return Template(
            "demo/_webhooks.html" if request.htmx else "demo/webhooks.html",
            context={"received": list(inbox.received), "count": inbox.count},
        )


def _store_context(state: State) -> dict[str, Any]:
    sandbox = _sandbox(state)
    return {
        "orders": sandbox.listing(),
        "hooks": sorted(sandbox.hooks.values(), key=lambda hook: hook.id),
        "order_created": ORDER_CREATED,
        "created": None,
    }


def _v2_error(_: Request, exc: SandboxError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status)


def _check_token(request: Request, error: type[SandboxError] = SandboxError) -> None:
    """Raises ``error`` (401; V2 shape by default) unless ``X-Auth-Token`` is the sandbox
    token."""
    if request.headers.get("x-auth-token") != SANDBOX_TOKEN:
        raise error(
            401, f"The access token is not valid for this store (sandbox: use {SANDBOX_TOKEN})"
        )


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except SerializationException:  # not JSON (sent as another content type)
        return None


class SandboxController(Controller):
    """A stand-in for BigCommerce's store API, so the demo works offline: the connection
    test's ``/v2/store``, Orders v2 ``GET``/``PUT /v2/orders/{id}`` and Webhooks v3
    ``/v3/hooks`` (list, create) and ``/v3/hooks/{id}`` (get, update, delete); see
    ``demo.sandbox``. The token is checked first (401), as BigCommerce does."""

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
        return _sandbox(request.app.state).update(order_id, await _json_body(request)).as_json()

    @get("/stores/{store_hash:str}/v3/hooks")
    async def list_hooks(
        self, request: Request, store_hash: str, page: int = 1, limit: int = 50
    ) -> dict[str, Any]:
        """``{"data": [hook...], "meta": {"pagination": ...}}``, the store's hooks by id."""
        _check_token(request, V3Error)
        hooks, pagination = _sandbox(request.app.state).hooks_page(store_hash, page, limit)
        return {"data": [h.as_json() for h in hooks], "meta": {"pagination": pagination}}

    @post("/stores/{store_hash:str}/v3/hooks", status_code=200)
    async def create_hook(self, request: Request, store_hash: str) -> dict[str, Any]:
        _check_token(request, V3Error)
        hook = _sandbox(request.app.state).create_hook(store_hash, await _json_body(request))
        return {"data": hook.as_json(), "meta": {}}

    @get("/stores/{store_hash:str}/v3/hooks/{hook_id:str}")
    async def get_hook(self, request: Request, store_hash: str, hook_id: str) -> dict[str, Any]:
        _check_token(request, V3Error)
        return {"data": _sandbox(request.app.state).hook(store_hash, hook_id).as_json(), "meta": {}}

    @put("/stores/{store_hash:str}/v3/hooks/{hook_id:str}")
    async def update_hook(self, request: Request, store_hash: str, hook_id: str) -> dict[str, Any]:
        _check_token(request, V3Error)
        sandbox = _sandbox(request.app.state)
        hook = sandbox.update_hook(store_hash, hook_id, await _json_body(request))
        return {"data": hook.as_json(), "meta": {}}

    @delete("/stores/{store_hash:str}/v3/hooks/{hook_id:str}", status_code=200)
    async def delete_hook(self, request: Request, store_hash: str, hook_id: str) -> dict[str, Any]:
        """Answers the deleted hook, as BigCommerce does."""
        _check_token(request, V3Error)
        hook = _sandbox(request.app.state).delete_hook(store_hash, hook_id)
        return {"data": hook.as_json(), "meta": {}}

    @get("/stores/{store_hash:str}/v2/store")
    async def store(self, request: Request, store_hash: str) -> dict[str, Any]:
        _check_token(request, V3Error)  # this endpoint refuses in the V3 shape
        return {
            "id": store_hash,
            "name": "Sandbox Store",
            "domain": f"{store_hash}.sandbox.invalid",
            "plan_name": "Sandbox",
        }

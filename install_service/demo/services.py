"""The demo: ISV "AcmeCo" with the Quick Start catalogue, a demo end user, a webhook inbox.

Everything runs offline: BigCommerce calls go to the built-in sandbox
(``demo.controllers.SandboxController``), and webhooks and Stream Data to the inbox,
``/demo/webhooks`` on this server.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import anyio
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from install_service.catalog.loader import load_catalog, parse_catalog
from install_service.catalog.schemas import CatalogFile, IntegrationListing
from install_service.catalog.services import list_integrations
from install_service.db.models import EndUser, Isv
from install_service.db.models.tenants import DEVELOPMENT
from install_service.db.transactions import write_transaction
from install_service.demo.runs import EventRuns, SendResult, recent_runs, send_event
from install_service.errors import NotFound
from install_service.isvs.services import IsvContext, add_isv
from install_service.security.user_tokens import UserTokens
from install_service.settings import PROJECT_ROOT, Settings

DEMO_ISV_NAME = "AcmeCo"
DEMO_USERNAME = "demo-user"
# The Quick Start catalogue: a wheel carries it in the package (hatch_build.py), a
# checkout reads examples/.
DEMO_CATALOG = Path(__file__).with_name("acme-bigcommerce.yaml")
if not DEMO_CATALOG.is_file():
    DEMO_CATALOG = PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml"
SANDBOX_PATH = "/demo/sandbox/bigcommerce"
INBOX_PATH = "/demo/webhooks"  # AcmeCo's receiver: installation webhooks and Stream Data
SANDBOX_TOKEN = "sandbox-token"  # noqa: S105 (the offline sandbox's fixed demo token)


def demo_settings(settings: Settings) -> Settings:
    """Settings for ``install-service demo``: the BigCommerce sandbox as API base (unless
    one is set) and private webhook URLs allowed, since the inbox is on this server."""
    bases = {"bigcommerce": settings.public_url + SANDBOX_PATH} | dict(settings.app_api_bases)
    return replace(settings, demo=True, app_api_bases=bases, webhook_allow_private=True)


async def seed_demo(session: AsyncSession, settings: Settings) -> Isv:
    """Create (or refresh) AcmeCo, its catalogue (Stream Data pointed at the inbox, see
    :func:`inbox_catalog`) and its demo user, in one transaction; idempotent."""
    catalog = parse_catalog(await anyio.Path(DEMO_CATALOG).read_text(), str(DEMO_CATALOG))
    catalog = inbox_catalog(catalog, settings.public_url + INBOX_PATH)
    async with write_transaction(session):
        isv = await demo_isv(session)
        if isv is None:
            created = await add_isv(
                session, name=DEMO_ISV_NAME, allowed_origins=[], webhook_url=None
            )
            isv = created.isv
        isv.allowed_origins = [settings.public_url]
        isv.webhook_url = settings.public_url + INBOX_PATH
        await load_catalog(session, catalog, isv.id)
        await _demo_user(session, isv)
    return isv


def inbox_catalog(catalog: CatalogFile, inbox_url: str) -> CatalogFile:
    """The catalogue with every Stream Data block's ``config.url`` set to ``inbox_url``:
    the Quick Start streams to AcmeCo's own URL (acme.example.com), which the demo plays
    with its inbox. ``catalog`` is left as it is."""
    copy = msgspec.convert(msgspec.to_builtins(catalog), CatalogFile)
    for integration in copy.integrations:
        for workflow in integration.workflows:
            for blocks in [workflow.blocks or [], *(v.blocks for v in workflow.versions)]:
                for block in blocks:
                    if block.get("type") == "streamData":
                        block["config"] = {**(block.get("config") or {}), "url": inbox_url}
    return copy


async def demo_isv(session: AsyncSession) -> Isv | None:
    return await session.scalar(
        select(Isv).where(Isv.name == DEMO_ISV_NAME).order_by(Isv.created_at)
    )


@dataclass(frozen=True, slots=True)
class DemoPage:
    isv: Isv
    user: EndUser
    integrations: list[IntegrationListing]
    token: str
    runs: EventRuns


async def demo_page(session: AsyncSession, user_tokens: UserTokens, public_url: str) -> DemoPage:
    """AcmeCo's integrations page: its demo user (made on first view), their
    integrations, a fresh user JWT for the SDK and their newest "Fulfillment Updated" runs.

    Raises:
        NotFound: the demo ISV was never seeded (``install-service demo`` seeds it).
    """
    async with write_transaction(session):
        isv = await demo_isv(session)
        if isv is None:
            raise NotFound("Run `install-service demo` to create the demo ISV")
        user = await _demo_user(session, isv)
    integrations = await list_integrations(session, isv.id, user, public_url)
    token = user_tokens.mint(user_id=str(user.id), isv_id=str(isv.id))
    runs = await recent_runs(session, _context(isv), user)
    return DemoPage(isv, user, integrations, token, runs)


@dataclass(frozen=True, slots=True)
class DemoSend:
    result: SendResult
    runs: EventRuns


async def send_fulfillment_update(session: AsyncSession, order_id: str, status: str) -> DemoSend:
    """AcmeCo's backend sends "Fulfillment Updated" ``{"orderId", "status"}`` for the demo
    user, as with ``POST /2024-03/run/event`` and the development API key; the API's answer
    (ids or error) and the newest runs come back. Not installed yet: nothing is sent.

    Raises:
        NotFound: the demo ISV was never seeded.
    """
    isv, user = await _seeded(session)
    if user is None:
        return DemoSend(SendResult(order_id, status, 409, not_installed=True), EventRuns([], []))
    ctx = _context(isv)
    result = await send_event(session, ctx, user, order_id=order_id, status=status)
    return DemoSend(result, await recent_runs(session, ctx, user))


async def demo_runs(session: AsyncSession) -> EventRuns:
    """The demo user's newest "Fulfillment Updated" runs (what the log view polls).

    Raises:
        NotFound: the demo ISV was never seeded.
    """
    isv, user = await _seeded(session)
    return await recent_runs(session, _context(isv), user) if user else EventRuns([], [])


def _context(isv: Isv) -> IsvContext:
    """As AcmeCo's development API key would see it (the demo user's environment)."""
    return IsvContext(isv, DEVELOPMENT)


async def _seeded(session: AsyncSession) -> tuple[Isv, EndUser | None]:
    isv = await demo_isv(session)
    if isv is None:
        raise NotFound("Run `install-service demo` to create the demo ISV")
    user = await session.scalar(
        select(EndUser).where(
            EndUser.isv_id == isv.id,
            EndUser.environment == DEVELOPMENT,
            EndUser.username == DEMO_USERNAME,
        )
    )
    return isv, user


async def _demo_user(session: AsyncSession, isv: Isv) -> EndUser:
    user = await session.scalar(
        select(EndUser).where(EndUser.isv_id == isv.id, EndUser.username == DEMO_USERNAME)
    )
    if user is None:
        user = EndUser(isv_id=isv.id, username=DEMO_USERNAME, full_name="Demo Store Owner")
        session.add(user)
        await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    received_at: datetime
    headers: dict[str, str]
    body: str
    standard_webhooks_valid: bool
    alloy_signature_valid: bool

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    @property
    def streamed_order(self) -> dict | None:
        """The order a Stream Data webhook carries (``{"workflowId", "executionId",
        "userId", "data": <BigCommerce order>, "blocks"}``); None for other webhooks."""
        try:
            payload = self.payload
        except ValueError:
            return None
        if not isinstance(payload, dict) or "executionId" not in payload:
            return None
        data = payload.get("data")
        return data if isinstance(data, dict) and "id" in data else None


@dataclass(slots=True)
class WebhookInbox:
    """The demo ISV's receiver: verifies both signatures and keeps the last 50 webhooks;
    ``count`` is how many it received in all."""

    received: deque[ReceivedWebhook] = field(default_factory=lambda: deque(maxlen=50))
    count: int = 0

    def receive(
        self, url: str, headers: dict[str, str], body: bytes, secret: str, public_key_pem: bytes
    ) -> ReceivedWebhook:
        try:
            Webhook(secret).verify(body, headers)
            standard_ok = True
        except WebhookVerificationError:
            standard_ok = False
        key = serialization.load_pem_public_key(public_key_pem)
        assert isinstance(key, rsa.RSAPublicKey)
        try:
            signature = bytes.fromhex(headers.get("x-alloy-signature", ""))
            key.verify(
                signature, b"POST" + url.encode() + body, padding.PKCS1v15(), hashes.SHA256()
            )
            alloy_ok = True
        except (ValueError, InvalidSignature):
            alloy_ok = False
        item = ReceivedWebhook(
            datetime.now(UTC), headers, body.decode("utf-8", "replace"), standard_ok, alloy_ok
        )
        self.received.appendleft(item)
        self.count += 1
        return item

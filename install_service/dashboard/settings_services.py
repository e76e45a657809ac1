"""**Settings**: where webhooks go, the allowed origins, the webhook secret, the API keys
of each environment and the webhook deliveries (with **Redeliver**), through the services
the API and the CLI use (``webhooks.services``, ``isvs.services``).

Each change and its audit entry share one transaction. Audit entries hold no secret:
webhook URLs are recorded by their origin only (a path may carry a token).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from install_service.audit.services import record
from install_service.dashboard.dependencies import SignedIn
from install_service.db.models import ApiKey, Isv
from install_service.db.transactions import write_transaction
from install_service.errors import InvalidInput
from install_service.isvs.auth_cache import forget_isv
from install_service.isvs.services import (
    ENVIRONMENTS,
    get_isv,
    live_api_keys,
    normalise_origin,
    stage_api_key_rotation,
)
from install_service.security.ssrf import UnsafeWebhookUrl
from install_service.webhooks.services import (
    URL_SETTINGS,
    DeliveryPage,
    checked_webhook_urls,
    list_deliveries,
    stage_redelivery,
    stage_secret_rotation,
    stage_webhook_urls,
)

DELIVERIES_SHOWN = 20
MAX_URL_LENGTH = 2048  # the column's size, as the API's schema allows


@dataclass(frozen=True, slots=True)
class SettingsView:
    """The Settings page; after a refused change, ``errors`` (field → message) and the
    ``values`` typed (shown again instead of the stored ones)."""

    isv: Isv
    keys: list[ApiKey]
    deliveries: DeliveryPage
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


async def settings_page(
    session: AsyncSession,
    staff: SignedIn,
    cursor: str | None = None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> SettingsView:
    """The ISV's settings (fresh from the database), its live API keys (prefixes only) and
    the session's environment's latest 20 deliveries, after ``cursor``.

    Raises:
        InvalidInput: ``invalid_cursor`` (422).
    """
    isv = await get_isv(session, str(staff.isv.id))
    keys = await live_api_keys(session, isv.id)
    deliveries = await list_deliveries(
        session, staff.isv_context, None, limit=DELIVERIES_SHOWN, cursor=cursor
    )
    return SettingsView(isv, keys, deliveries, errors or {}, values or {})


async def save_webhook_urls(
    session: AsyncSession, staff: SignedIn, values: dict[str, str], *, allow_private: bool
) -> SettingsView | None:
    """Set the webhook URL and the error webhook URL (keys ``webhook_url``,
    ``error_webhook_url``; "" clears one), each checked by the API's SSRF guard; None
    when saved (audit ``webhook_urls.update``), else the page with each refused field's
    message and the values typed (nothing changed)."""
    values = {key: values.get(key, "").strip() for key in URL_SETTINGS}
    cleaned: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for key, url in values.items():
        if len(url) > MAX_URL_LENGTH:
            errors[key] = f"A URL of at most {MAX_URL_LENGTH} characters."
            continue
        try:
            cleaned |= await checked_webhook_urls({key: url}, allow_private=allow_private)
        except UnsafeWebhookUrl as exc:
            errors[key] = exc.message.split(": ", 1)[-1]
    if errors:
        return await settings_page(session, staff, errors=errors, values=values)
    async with write_transaction(session):
        isv = await get_isv(session, str(staff.isv.id))
        before = {URL_SETTINGS[k]: _origin_of(getattr(isv, k)) for k in URL_SETTINGS}
        urls = await stage_webhook_urls(session, isv, cleaned)
        after = {URL_SETTINGS[k]: _origin_of(getattr(urls, k)) for k in URL_SETTINGS}
        record(session, staff.account, "webhook_urls.update", before=before, after=after)
    return None


async def add_origin(session: AsyncSession, staff: SignedIn, origin: str) -> SettingsView | None:
    """Add an allowed origin (``isvs.services.normalise_origin``: ``scheme://host[:port]``);
    None when added or already listed (audit ``allowed_origin.add``), else the page with
    the refusal under ``origin``."""
    try:
        normalised = normalise_origin(origin)
    except InvalidInput as exc:
        return await settings_page(
            session, staff, errors={"origin": exc.message}, values={"origin": origin}
        )
    async with write_transaction(session):
        isv = await get_isv(session, str(staff.isv.id))
        if normalised not in isv.allowed_origins:
            isv.allowed_origins = [*isv.allowed_origins, normalised]
            record(session, staff.account, "allowed_origin.add", after={"origin": normalised})
    forget_isv(isv.id)  # the end-user API and the modal read the list from the cache
    return None


async def remove_origin(session: AsyncSession, staff: SignedIn, origin: str) -> None:
    """Remove an allowed origin (one not listed changes nothing); audit
    ``allowed_origin.remove``."""
    async with write_transaction(session):
        isv = await get_isv(session, str(staff.isv.id))
        if origin in isv.allowed_origins:
            isv.allowed_origins = [o for o in isv.allowed_origins if o != origin]
            record(session, staff.account, "allowed_origin.remove", before={"origin": origin})
    forget_isv(isv.id)


async def rotate_webhook_secret(session: AsyncSession, staff: SignedIn) -> tuple[str, datetime]:
    """A new ``whsec_`` secret (shown once) and when the old one stops signing (24 h on);
    audit ``webhook_secret.rotate``."""
    async with write_transaction(session):
        isv = await get_isv(session, str(staff.isv.id))
        secret, expires = await stage_secret_rotation(session, isv)
        record(
            session,
            staff.account,
            "webhook_secret.rotate",
            after={"previousSecretExpiresAt": expires.isoformat()},
        )
    return secret, expires


def check_environment(environment: str) -> str:
    """``environment`` if it is "development" or "production".

    Raises:
        InvalidInput: any other (422).
    """
    if environment not in ENVIRONMENTS:
        raise InvalidInput(f"Environment must be one of {', '.join(ENVIRONMENTS)}")
    return environment


async def rotate_api_key(session: AsyncSession, staff: SignedIn, environment: str) -> str:
    """Revoke the environment's live API keys and return a new one, in clear, once
    (``isvs.services.stage_api_key_rotation``); audit ``api_key.rotate`` (its prefix).

    Raises:
        InvalidInput: not "development" or "production" (422).
    """
    check_environment(environment)
    async with write_transaction(session):
        isv = await get_isv(session, str(staff.isv.id))
        key = await stage_api_key_rotation(session, isv, environment)
        record(
            session,
            staff.account,
            "api_key.rotate",
            environment=environment,
            after={"keyPrefix": key[:12]},
        )
    forget_isv(isv.id, environment)
    return key


async def redeliver(session: AsyncSession, staff: SignedIn, delivery_id: str) -> None:
    """Send a delivery of the session's environment again now (same ``webhook-id``);
    audit ``webhook.redeliver``.

    Raises:
        NotFound: ``delivery_not_found`` (unknown, another ISV's or environment's).
    """
    async with write_transaction(session):
        delivery = await stage_redelivery(session, staff.isv_context, delivery_id)
        record(
            session,
            staff.account,
            "webhook.redeliver",
            environment=staff.environment,
            target_type="webhook_delivery",
            target_id=str(delivery.id),
        )

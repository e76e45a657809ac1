"""ISVs (tenants) and their API keys."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.lookups import get_or_404
from install_service.db.models import ApiKey, Isv
from install_service.db.models.tenants import DEVELOPMENT
from install_service.db.transactions import write_transaction
from install_service.errors import InvalidInput, NotFound, Unauthorized
from install_service.isvs.auth_cache import API_KEYS, CachedKey, forget_isv
from install_service.security.api_keys import generate_api_key, hash_api_key
from install_service.security.auth_cache import attach, detached_copy
from install_service.security.ssrf import check_webhook_url

PRODUCTION = "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)


@dataclass(frozen=True, slots=True)
class CreatedIsv:
    """A new ISV with its secrets, which are shown this once and never again.

    ``api_key`` is the development key and ``production_api_key`` the production one: users
    (and all under them) made with one key are invisible to the other.
    """

    isv: Isv
    api_key: str
    production_api_key: str
    webhook_secret: str


@dataclass(frozen=True, slots=True)
class IsvContext:
    """Who is calling: the ISV behind the API key, and the key's environment."""

    isv: Isv
    environment: str


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` of ``origin``, lower-cased; raises InvalidInput otherwise."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise InvalidInput(f"{origin!r} is not an origin like https://app.example.com")
    return f"{parts.scheme}://{parts.netloc}".lower()


async def create_isv(
    session: AsyncSession,
    *,
    name: str,
    allowed_origins: list[str],
    webhook_url: str | None = None,
    error_webhook_url: str | None = None,
    allow_private_webhooks: bool = False,
) -> CreatedIsv:
    """Create an ISV with a development and a production API key and a webhook secret.

    ``error_webhook_url`` receives ``workflow.failed`` webhooks (None: ``webhook_url`` does).

    Raises:
        InvalidInput: no name, an allowed origin that is not an origin, or an unsafe
            webhook URL (``UnsafeWebhookUrl``; see ``security.ssrf``).
    """
    if not name.strip():
        raise InvalidInput("An ISV needs a name")
    origins = [normalise_origin(o) for o in allowed_origins]
    for url in (webhook_url, error_webhook_url):
        await check_webhook_url(url, allow_private=allow_private_webhooks)
    async with write_transaction(session):
        return await add_isv(
            session,
            name=name,
            allowed_origins=origins,
            webhook_url=webhook_url,
            error_webhook_url=error_webhook_url,
        )


async def add_isv(
    session: AsyncSession,
    *,
    name: str,
    allowed_origins: list[str],
    webhook_url: str | None,
    error_webhook_url: str | None = None,
) -> CreatedIsv:
    """Add an ISV (checked values) with its keys and secret in the caller's transaction."""
    secret = new_webhook_secret()
    isv = Isv(
        name=name.strip(),
        allowed_origins=allowed_origins,
        webhook_url=webhook_url or None,
        error_webhook_url=error_webhook_url or None,
        webhook_secret=secret,
    )
    session.add(isv)
    await session.flush()
    return CreatedIsv(
        isv=isv,
        api_key=await add_api_key(session, isv, DEVELOPMENT),
        production_api_key=await add_api_key(session, isv, PRODUCTION),
        webhook_secret=secret,
    )


async def add_api_key(session: AsyncSession, isv: Isv, environment: str) -> str:
    """Create and store (hashed) a new API key; returns the key in clear, once."""
    key = generate_api_key("dev" if environment == DEVELOPMENT else "prod")
    session.add(
        ApiKey(
            isv_id=isv.id,
            environment=environment,
            key_hash=hash_api_key(key),
            display_prefix=key[:12],
        )
    )
    await session.flush()
    return key


async def get_isv(session: AsyncSession, isv_ref: str) -> Isv:
    """The ISV whose id is ``isv_ref``.

    Raises:
        NotFound: no such ISV (``isv_not_found``).
    """
    return await get_or_404(
        session,
        isv_ref,
        lambda isv_id: select(Isv).where(Isv.id == isv_id),
        NotFound(f"No ISV with id {isv_ref}", code=error_codes.ISV_NOT_FOUND),
    )


async def rotate_api_key(session: AsyncSession, isv_ref: str, environment: str) -> str:
    """Revoke every live API key of ``environment`` of the ISV ``isv_ref`` (they answer 401
    from the commit on: in this process at once, in others within the authentication
    cache's TTL, ``security.auth_cache``) and return a new one, in clear, once.

    Raises:
        InvalidInput: ``environment`` is not "development" or "production".
        NotFound: no such ISV.
    """
    if environment not in ENVIRONMENTS:
        raise InvalidInput(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    async with write_transaction(session):
        isv = await get_isv(session, isv_ref)
        key = await stage_api_key_rotation(session, isv, environment)
    forget_isv(isv.id, environment)
    return key


async def stage_api_key_rotation(session: AsyncSession, isv: Isv, environment: str) -> str:
    """``rotate_api_key`` in the caller's (write) transaction; after the commit the caller
    calls ``isvs.auth_cache.forget_isv(isv.id, environment)``.

    Raises:
        InvalidInput: ``environment`` is not "development" or "production".
    """
    if environment not in ENVIRONMENTS:
        raise InvalidInput(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.isv_id == isv.id,
            ApiKey.environment == environment,
            ApiKey.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
    return await add_api_key(session, isv, environment)


async def live_api_keys(session: AsyncSession, isv_id: UUID) -> list[ApiKey]:
    """The ISV's unrevoked API keys (digest and display prefix only), by environment."""
    query = (
        select(ApiKey)
        .where(ApiKey.isv_id == isv_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.environment, ApiKey.created_at)
    )
    return list(await session.scalars(query))


async def authenticate(session: AsyncSession, api_key: str | None) -> IsvContext:
    """The caller behind ``api_key``: from the process's cache (``isvs.auth_cache``, no
    SQL), else one SELECT, whose answer is cached when the key is live.

    Raises:
        Unauthorized: no key, or no live key with that digest (never cached).
    """
    if not api_key:
        raise Unauthorized("Missing API key: send Authorization: Bearer <API key>")
    digest = hash_api_key(api_key)
    if (cached := API_KEYS.get(digest)) is not None:
        return IsvContext(isv=attach(session, cached.isv), environment=cached.environment)
    generation = API_KEYS.generation()
    row = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    if row is None:
        raise Unauthorized("Invalid API key")
    API_KEYS.put(digest, CachedKey(detached_copy(row.isv), row.environment), generation=generation)
    return IsvContext(isv=row.isv, environment=row.environment)

"""What ``install-service doctor`` needs to know beyond the settings: the database's
state, the stored data keys, the ISVs' webhook URLs (each tried) and allowed origins.

Nothing is written: no migration, no key generated, no row changed. A webhook URL is tried
the way a delivery would go (``security.ssrf``: syntax, DNS, the address check, then a
connection to the checked address), with a ``HEAD`` request whose answer, any status,
means reachable.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import DataKey, Isv
from install_service.db.transactions import end_read
from install_service.doctor.checks import (
    REACHABLE,
    REFUSED,
    UNREACHABLE,
    UNRESOLVED,
    DataKeyFact,
    Findings,
    IsvOrigins,
    WebhookProbe,
)
from install_service.health.services import OK, database_checks
from install_service.security.keys import decode_credential_key
from install_service.security.ssrf import UnsafeWebhookUrl, check_syntax, pin, resolve
from install_service.settings import Settings, SettingsError
from install_service.telemetry import check_tracing

GENERATED_CREDENTIAL_KEY = "keys/credential-key.b64"  # under var_dir (security.keys)


async def gather(session: AsyncSession, settings: Settings, *, timeout_s: float = 2.0) -> Findings:
    """Read the database (``SELECT 1`` and the migration revision within ``timeout_s``
    seconds, then ISVs and data keys) and try every webhook URL (``timeout_s`` each, all
    at once). Returns :class:`~install_service.doctor.checks.Findings`; raises nothing
    for an unreachable database or URL (those are findings)."""
    assert session.bind is not None
    dialect = session.bind.dialect.name
    root_kids, root_key_problem = _root_kids(settings)
    tracing_problem = _tracing_problem(settings)
    state = _missing_sqlite_file(settings.database_url) or await database_checks(
        session.bind,  # type: ignore[arg-type]
        timeout_s,
    )
    if state != {"database": OK, "migrations": OK}:
        return Findings(
            state,
            dialect,
            root_kids=root_kids,
            root_key_problem=root_key_problem,
            tracing_problem=tracing_problem,
        )
    isvs = (await session.scalars(select(Isv).order_by(Isv.created_at))).all()
    stored = (await session.scalars(select(DataKey).order_by(DataKey.created_at))).all()
    urls = [
        (isv.name, kind, url)
        for isv in isvs
        for kind, url in (("webhook", isv.webhook_url), ("error webhook", isv.error_webhook_url))
        if url
    ]
    origins = tuple(IsvOrigins(isv.name, tuple(isv.allowed_origins)) for isv in isvs)
    await end_read(session)  # no snapshot held while URLs are tried
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_s) as client:
        probes = await asyncio.gather(
            *(
                probe(client, isv, kind, url, settings.webhook_allow_private)
                for isv, kind, url in urls
            )
        )
    return Findings(
        state,
        dialect,
        read=True,
        root_kids=root_kids,
        root_key_problem=root_key_problem,
        tracing_problem=tracing_problem,
        data_keys=tuple(DataKeyFact(key.kid, key.state, key.wrapped_by) for key in stored),
        webhooks=tuple(probes),
        origins=origins,
    )


def _missing_sqlite_file(database_url: str) -> dict[str, str] | None:
    """A SQLite file that does not exist yet (connecting would create it, empty)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if Path(url.database).exists():
        return None
    return {"database": "no database file: run install-service migrate", "migrations": "unknown"}


def _tracing_problem(settings: Settings) -> str | None:
    try:
        check_tracing(settings)
    except SettingsError as exc:
        return str(exc)
    return None


def _root_kids(settings: Settings) -> tuple[tuple[str, ...], str | None]:
    """The root credential keys' kids: from the setting, else the generated file if it
    exists (none is created here); with why the setting cannot be used, if it cannot."""
    raw = settings.credential_keys
    if not raw:
        path = settings.var_dir / GENERATED_CREDENTIAL_KEY
        raw = (path.read_text().strip(),) if path.is_file() else ()
    try:
        return tuple(decode_credential_key(key).kid for key in raw), None
    except SettingsError as exc:
        return (), str(exc)


async def probe(
    client: httpx.AsyncClient, isv: str, kind: str, url: str, allow_private: bool
) -> WebhookProbe:
    """Try ``url`` as a delivery would reach it; the outcome is ``refused`` (malformed, or
    an address the guard forbids), ``unresolved``, ``unreachable`` (no HTTP answer within
    the client's timeout) or ``reachable``."""
    try:
        scheme, host, port = check_syntax(url)
    except UnsafeWebhookUrl:
        return WebhookProbe(isv, kind, "(malformed URL)", REFUSED, "not an absolute http(s) URL")
    shown = f"{scheme}://{host}:{port}"
    try:
        await resolve(host, port)
    except UnsafeWebhookUrl:
        return WebhookProbe(isv, kind, shown, UNRESOLVED, "the host does not resolve")
    try:
        target = await pin(url, allow_private=allow_private)
    except UnsafeWebhookUrl:
        return WebhookProbe(
            isv, kind, shown, REFUSED, "a loopback, private or metadata address: deliveries refused"
        )
    try:
        await client.head(
            target.connect_url,
            headers={"host": target.host_header},
            extensions={"sni_hostname": target.server_name},
        )
    except httpx.HTTPError as exc:
        return WebhookProbe(isv, kind, shown, UNREACHABLE, type(exc).__name__)
    return WebhookProbe(isv, kind, shown, REACHABLE)

"""``install-service keys``: rotate the credential encryption key, see which keys seal how
many rows, retire a key nothing uses any more (see ``keys.rotation`` for the protocol).

Key material is never printed: only kids (fingerprints) and counts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from install_service.settings import Settings

T = TypeVar("T")


def _run(work: Callable[[Any, Any, Settings], Awaitable[T]]) -> T:
    """Migrate, then run ``work(session_maker, cipher, settings)`` with the cipher holding
    the configured root keys and the stored data keys; a ``ServiceError`` becomes a
    readable usage error (exit status 2)."""
    from install_service.db.config import migrate_database, sqlalchemy_config
    from install_service.errors import ServiceError
    from install_service.keys.services import load_data_keys
    from install_service.security.credential_crypto import CredentialCipher
    from install_service.security.keys import load_keys

    settings = Settings.from_env().resolved()
    migrate_database(settings.database_url)
    cipher = CredentialCipher(load_keys(settings).credential_keys)

    async def with_database() -> T:
        config = sqlalchemy_config(settings.database_url)
        session_maker = config.create_session_maker()
        try:
            async with session_maker() as session:
                await load_data_keys(session, cipher)
            return await work(session_maker, cipher, settings)
        finally:
            await config.get_engine().dispose()

    try:
        return asyncio.run(with_database())
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc


@click.group()
def keys() -> None:
    """Rotate and retire the keys that encrypt stored credentials."""


@keys.command("rotate-credential-key")
@click.option(
    "--propagation-wait",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds every process gets to load the new key, twice. "
    "[default: 2 x INSTALL_SERVICE_KEY_REFRESH + 1]",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--resume", is_flag=True, help="No new key: finish re-sealing to the active one.")
@click.option("--json", "as_json", is_flag=True, help="Print {kid, resealed: {table: rows}}.")
def rotate(propagation_wait: float | None, batch_size: int, resume: bool, as_json: bool) -> None:
    """Add a data key, make it seal new credentials, and re-seal every stored credential
    with it in batches, while the service keeps serving. Safe to run again if stopped."""
    from install_service.keys.rotation import rotate_credential_key

    def report(line: str) -> None:
        if not as_json:
            click.echo(line)

    async def work(session_maker: Any, cipher: Any, settings: Settings) -> Any:
        wait = propagation_wait if propagation_wait is not None else 2 * settings.key_refresh_s + 1
        return await rotate_credential_key(
            session_maker,
            cipher,
            propagation_s=wait,
            batch_size=batch_size,
            resume=resume,
            report=report,
        )

    result = _run(work)
    if as_json:
        click.echo(json.dumps({"kid": result.kid, "resealed": result.resealed}))
        return
    click.echo(f"Done: {result.kid} seals every credential ({_rows(result.resealed)} re-sealed).")


@keys.command("status")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print [{kid, kind, state, sealing, rows: {table: count}, wrappedBy}].",
)
def status(as_json: bool) -> None:
    """Each key (root keys from settings, data keys from rotations) and how many rows it
    seals. A key is safe to retire at 0 rows."""
    from install_service.keys.services import key_status

    async def work(session_maker: Any, cipher: Any, _settings: Settings) -> Any:
        async with session_maker() as session:
            return await key_status(session, cipher)

    found = _run(work)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "kid": key.kid,
                        "kind": key.kind,
                        "state": key.state,
                        "sealing": key.sealing,
                        "rows": key.rows,
                        "wrappedBy": key.wrapped_by,
                    }
                    for key in found
                ]
            )
        )
        return
    for key in found:
        marker = "  <- seals new credentials" if key.sealing else ""
        click.echo(f"{key.kid}  {key.kind:<7} {key.state:<8} {_rows(key.rows)}{marker}")


@keys.command("retire")
@click.argument("kid")
def retire(kid: str) -> None:
    """Delete data key KID; refused while it is active or any row is sealed with it."""
    from install_service.keys.services import retire_data_key

    async def work(session_maker: Any, _cipher: Any, _settings: Settings) -> None:
        async with session_maker() as session:
            await retire_data_key(session, kid)

    _run(work)
    click.echo(f"Retired data key {kid}; processes drop it at their next key refresh.")


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{count} {table} rows" for table, count in rows.items())

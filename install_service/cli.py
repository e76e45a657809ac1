"""The ``install-service`` command (spec, "Command line and settings")."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import replace
from pathlib import Path

import click

from install_service.backups.commands import backup, restore
from install_service.doctor.commands import doctor
from install_service.keys.commands import keys
from install_service.settings import Settings, SettingsError
from install_service.staff.commands import admin


def _settings(host: str = "127.0.0.1", port: int = 8000, log_format: str = "json") -> Settings:
    """Settings from the environment; ``log_format`` unless INSTALL_SERVICE_LOG_FORMAT is set."""
    settings = Settings.from_env().resolved(host, port)
    if "INSTALL_SERVICE_LOG_FORMAT" not in os.environ:
        settings = replace(settings, log_format=log_format)
    return settings


def _migrate(settings: Settings) -> None:
    from install_service.db.config import migrate_database

    migrate_database(settings.database_url)


async def _in_session(settings: Settings, work):
    """Run ``work(session)``, one use case that owns its transaction, on a fresh engine."""
    from install_service.db.config import sqlalchemy_config

    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            return await work(session)
    finally:
        await config.get_engine().dispose()


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from install_service.app import create_app

    if workers > 1:  # one migration, before the processes start
        _migrate(settings)
        _serve_processes(settings, host, port, workers)
        return
    # One process: it listens at once and migrates in its start-up (/ready says when done).
    settings = replace(settings, migrate_on_start=True)
    _exit_0_after_sigterm()
    uvicorn.run(create_app(settings), host=host, port=port, **_uvicorn_options(settings))


def _exit_0_after_sigterm() -> None:
    """uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the
    handler it found installed; with this one the process then exits 0, as a process
    manager expects of a clean stop."""
    import signal

    signal.signal(signal.SIGTERM, lambda _signum, _frame: None)


def _uvicorn_options(settings: Settings) -> dict:
    # X-Forwarded-For (and -Proto) are believed only from INSTALL_SERVICE_TRUSTED_PROXIES;
    # uvicorn's own default would trust 127.0.0.1, and it never reads "Forwarded".
    return {
        "log_level": "info",
        "log_config": None,  # the app's logging (http.logs) formats uvicorn's lines too
        "access_log": False,  # install_service.http.access_log logs requests, without secrets
        "timeout_graceful_shutdown": settings.shutdown_grace_s,  # SIGTERM: requests in flight
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
    }


def _serve_processes(settings: Settings, host: str, port: int, workers: int) -> None:
    """``workers`` server processes sharing one listening socket. Process n is DBOS executor
    ``<INSTALL_SERVICE_EXECUTOR_ID>-<n>``, the same after a restart, so each resumes its own
    runs. Stops them all on SIGINT/SIGTERM."""
    import multiprocessing
    import signal
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(
            target=_serve_on_socket,
            args=(replace(settings, executor_id=f"{settings.executor_id}-{n}"), sock),
            name=f"install-service-{n}",
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(_signum: int, _frame: object) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    sock.close()


def _serve_on_socket(settings: Settings, sock) -> None:
    """One of ``serve --workers``'s processes (a spawned child)."""
    import uvicorn

    from install_service.app import create_app

    _exit_0_after_sigterm()
    config = uvicorn.Config(create_app(settings), **_uvicorn_options(settings))
    uvicorn.Server(config).run(sockets=[sock])


@click.group()
def main() -> None:
    """install-service: embedded-integration installs for your product (Alloy Embedded API)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Server processes on one port (PostgreSQL only); each keeps its own caches and "
    "rate-limit counts.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, then serve."""
    settings = _settings(host, port)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise click.UsageError(
            "--workers needs PostgreSQL (INSTALL_SERVICE_DATABASE_URL=postgresql+asyncpg://...): "
            "SQLite has one writer, and the runtime's SQLite queues are not shared safely "
            "between processes"
        )
    _check_tracing(settings)
    _serve(settings, host, port, workers)


def _check_tracing(settings: Settings) -> None:
    """A clear error, before anything listens, when tracing is asked for but cannot be."""
    from install_service.telemetry import check_tracing

    try:
        check_tracing(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Serve with the demo ISV "AcmeCo", its catalogue and the page at /demo."""
    from install_service.demo.services import demo_settings, seed_demo

    settings = demo_settings(_settings(host, port, log_format="console"))
    _check_tracing(settings)
    _migrate(settings)
    asyncio.run(_in_session(settings, lambda session: seed_demo(session, settings)))
    click.echo(f"Demo: open {settings.public_url}/demo")
    _serve(settings, host, port)


@main.command()
def worker() -> None:
    """Run workflow executions (and webhook deliveries) without serving HTTP.

    With PostgreSQL, start as many as you like beside ``serve``: they share the queues. Give
    each process its own INSTALL_SERVICE_EXECUTOR_ID so a restarted one resumes its own runs.
    """
    from install_service.app import run_worker

    settings = _settings()
    _migrate(settings)
    click.echo(f"Worker {settings.executor_id}: running executions (Ctrl+C stops)")
    asyncio.run(run_worker(settings))


@main.command()
def migrate() -> None:
    """Apply every database migration."""
    _migrate(_settings())
    click.echo("Database is up to date.")


@main.group()
def isv() -> None:
    """Manage ISVs (tenants)."""


@isv.command("create")
@click.option("--name", required=True)
@click.option("--webhook-url", default=None)
@click.option(
    "--error-webhook-url", default=None, help="Where workflow.failed goes (default: --webhook-url)."
)
@click.option("--allowed-origin", "allowed_origins", multiple=True, help="Repeatable.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {isvId, apiKey, productionApiKey, webhookSecret}.",
)
def isv_create(
    name: str,
    webhook_url: str | None,
    error_webhook_url: str | None,
    allowed_origins: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create an ISV; its development and production API keys and webhook secret are printed once."""
    from install_service.errors import ServiceError
    from install_service.isvs.services import create_isv

    settings = _settings()
    _migrate(settings)
    try:
        created = asyncio.run(
            _in_session(
                settings,
                lambda s: create_isv(
                    s,
                    name=name,
                    allowed_origins=list(allowed_origins),
                    webhook_url=webhook_url,
                    error_webhook_url=error_webhook_url,
                    allow_private_webhooks=settings.webhook_allow_private,
                ),
            )
        )
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc
    out = {
        "isvId": str(created.isv.id),
        "apiKey": created.api_key,
        "productionApiKey": created.production_api_key,
        "webhookSecret": created.webhook_secret,
    }
    if as_json:
        click.echo(json.dumps(out))
    else:
        for key, value in out.items():
            click.echo(f"{key}: {value}")
        click.echo("Store the API keys and webhook secret now: they are not shown again.")


@isv.command("update")
@click.option("--isv", "isv_id", required=True, help="The isvId to change.")
@click.option("--webhook-url", default=None, help='Where webhooks go; "" clears it.')
@click.option(
    "--error-webhook-url",
    default=None,
    help='Where workflow.failed goes; "" clears it (then --webhook-url gets it).',
)
@click.option("--json", "as_json", is_flag=True, help="Print {webhookUrl, errorWebhookUrl}.")
def isv_update(
    isv_id: str, webhook_url: str | None, error_webhook_url: str | None, as_json: bool
) -> None:
    """Change an ISV's webhook URLs (PUT /webhooks/settings); options left out are kept."""
    from install_service.errors import ServiceError
    from install_service.webhooks.services import update_webhook_urls

    changes = {
        key: value
        for key, value in (("webhook_url", webhook_url), ("error_webhook_url", error_webhook_url))
        if value is not None
    }
    if not changes:
        raise click.UsageError("Give --webhook-url and/or --error-webhook-url.")
    settings = _settings()
    _migrate(settings)
    try:
        urls = asyncio.run(
            _in_session(
                settings,
                lambda s: update_webhook_urls(
                    s, isv_id, changes, allow_private=settings.webhook_allow_private
                ),
            )
        )
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc
    out = {"webhookUrl": urls.webhook_url, "errorWebhookUrl": urls.error_webhook_url}
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo("\n".join(f"{k}: {v or '(none)'}" for k, v in out.items()))


@isv.command("rotate-webhook-secret")
@click.option("--isv", "isv_id", required=True, help="The isvId whose secret to rotate.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {webhookSecret, previousSecretExpiresAt}."
)
def isv_rotate_webhook_secret(isv_id: str, as_json: bool) -> None:
    """New whsec_ secret; the old one keeps signing for 24 h (POST /webhooks/secret/rotate)."""
    from install_service.webhooks.services import rotate_secret

    settings = _settings()
    _migrate(settings)

    async def work(session):
        return await rotate_secret(session, await _isv(session, isv_id))

    secret, expires = asyncio.run(_in_session(settings, work))
    out = {
        "webhookSecret": secret,
        "previousSecretExpiresAt": expires.isoformat().replace("+00:00", "Z"),
    }
    click.echo(json.dumps(out) if as_json else "\n".join(f"{k}: {v}" for k, v in out.items()))


@isv.command("rotate-api-key")
@click.option("--isv", "isv_id", required=True, help="The isvId whose key to rotate.")
@click.option("--environment", required=True, type=click.Choice(["development", "production"]))
@click.option("--json", "as_json", is_flag=True, help="Print {apiKey, environment}.")
def isv_rotate_api_key(isv_id: str, environment: str, as_json: bool) -> None:
    """New API key for one environment; the old key stops working at once (401)."""
    from install_service.isvs.services import rotate_api_key

    settings = _settings()
    _migrate(settings)

    from install_service.errors import ServiceError

    try:
        key = asyncio.run(_in_session(settings, lambda s: rotate_api_key(s, isv_id, environment)))
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc
    out = {"apiKey": key, "environment": environment}
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo("\n".join(f"{k}: {v}" for k, v in out.items()))
        click.echo(
            "Store the new API key now: it is not shown again, and the old one no longer works."
        )


async def _isv(session, isv_id: str):
    """The ISV with that id (``isvs.services.get_isv``), or a usage error naming it."""
    from install_service.errors import ServiceError
    from install_service.isvs.services import get_isv

    try:
        return await get_isv(session, isv_id)
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc


@main.group()
def catalog() -> None:
    """Manage integrations and workflows."""


@catalog.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--isv", "isv_id", required=True, help="The isvId to load into.")
def catalog_load(path: Path, isv_id: str) -> None:
    """Load integrations and workflows from a YAML file (idempotent)."""
    from install_service.catalog.loader import load_catalog_file
    from install_service.errors import ServiceError

    settings = _settings()
    _migrate(settings)

    try:
        report = asyncio.run(_in_session(settings, lambda s: load_catalog_file(s, path, isv_id)))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        json.dumps(
            {
                "integrations": report.integration_ids,
                "workflowsCreated": report.workflows_created,
                "versionsCreated": report.versions_created,
            }
        )
    )


@main.group()
def triggers() -> None:
    """App triggers: the webhooks held in end users' apps."""


@triggers.command("reconcile")
@click.option("--isv", "isv_id", default=None, help="Only this isvId's subscriptions.")
def triggers_reconcile(isv_id: str | None) -> None:
    """Re-create hooks the apps lost or turned off; prints each change."""
    from install_service.app import run_reconcile

    settings = _settings()
    _migrate(settings)
    changes = asyncio.run(run_reconcile(settings, isv_id))
    for line in changes:
        click.echo(line)
    click.echo(f"{len(changes)} change(s)")


main.add_command(admin)
main.add_command(doctor)
main.add_command(keys)
main.add_command(backup)
main.add_command(restore)

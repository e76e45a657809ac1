"""``install-service doctor``: each setting that matters, ``OK`` / ``WARN`` / ``FAIL`` with
a reason; exit status 1 when anything FAILs (see ``doctor.checks`` for what each means).
It changes nothing: no migration, no generated key, no row."""

from __future__ import annotations

import asyncio
import json

import click

from install_service.settings import Settings, SettingsError


@click.command()
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds for the database and for each webhook URL.",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"ok", "checks": [{name, status, reason}]}.'
)
def doctor(timeout_s: float, as_json: bool) -> None:
    """Check the configuration: database, public URL, keys, webhook URLs, origins."""
    from install_service.db.config import sqlalchemy_config
    from install_service.doctor.checks import failed, run_all
    from install_service.doctor.services import gather

    try:
        settings = Settings.from_env().resolved()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc

    async def work():
        config = sqlalchemy_config(settings.database_url)
        try:
            async with config.get_session() as session:
                return await gather(session, settings, timeout_s=timeout_s)
        finally:
            await config.get_engine().dispose()

    checks = run_all(settings, asyncio.run(work()))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not failed(checks),
                    "checks": [
                        {"name": c.name, "status": c.status, "reason": c.reason} for c in checks
                    ],
                }
            )
        )
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            click.echo(f"{check.status:<4} {check.name:<{width}}  {check.reason}")
    if failed(checks):
        raise SystemExit(1)

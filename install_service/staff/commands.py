"""``install-service admin``: the ISV staff accounts that sign in to the dashboard.

A password is read from stdin when stdin is not a terminal (``printf '%s\\n' "$PW" |
install-service admin create ...``), else typed twice at a hidden prompt; never from an
argument, which would sit in shell history and in every process listing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from install_service.settings import Settings

T = TypeVar("T")


def _refuse_password_argument(_ctx: click.Context, _param: click.Parameter, value: Any) -> None:
    if value is not None:
        raise click.UsageError(
            "Passwords are never taken as arguments (shell history and process lists show "
            "them): pipe the password on stdin, or leave stdin a terminal to be prompted."
        )


def _read_password() -> str:
    """One line of stdin (without its line ending) when it is not a terminal, else a hidden
    prompt typed twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate, then run ``work(session)`` (one use case that owns its transaction); a
    ``ServiceError`` becomes a readable usage error, exit status 2."""
    from install_service.db.config import migrate_database, sqlalchemy_config
    from install_service.errors import ServiceError

    settings = Settings.from_env().resolved()
    migrate_database(settings.database_url)

    async def in_session() -> T:
        config = sqlalchemy_config(settings.database_url)
        try:
            async with config.get_session() as session:
                return await work(session)
        finally:
            await config.get_engine().dispose()

    try:
        return asyncio.run(in_session())
    except ServiceError as exc:
        raise click.UsageError(exc.message) from exc


password_argument = click.option(
    "--password",
    hidden=True,
    expose_value=False,
    callback=_refuse_password_argument,
    is_eager=True,
)


@click.group()
def admin() -> None:
    """Manage the ISV staff accounts that sign in to /dashboard."""


@admin.command("create")
@click.option("--isv", "isv_id", required=True, help="The isvId the account belongs to.")
@click.option("--email", required=True, help="Sign-in email (unique across ISVs).")
@password_argument
def create(isv_id: str, email: str) -> None:
    """Create an account; the password (12 characters or more) comes from stdin or a prompt."""
    from install_service.staff.services import create_account

    password = _read_password()
    account = _run(lambda s: create_account(s, isv_id, email, password))
    click.echo(f"Created {account.email} for ISV {account.isv_id}.")


@admin.command("reset-password")
@click.option("--email", required=True)
@password_argument
def reset_password(email: str) -> None:
    """Set a new password (stdin or a prompt); the account's open sessions end."""
    from install_service.staff.services import reset_password as reset

    password = _read_password()
    account = _run(lambda s: reset(s, email, password))
    click.echo(f"New password set for {account.email}; its sessions are signed out.")


@admin.command("list")
@click.option("--isv", "isv_id", default=None, help="Only this isvId's accounts.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print [{email, isvId, createdAt, lastSignInAt}]."
)
def list_(isv_id: str | None, as_json: bool) -> None:
    """List accounts by email."""
    from install_service.staff.services import list_accounts

    accounts = _run(lambda s: list_accounts(s, isv_id))
    rows = [
        {
            "email": a.email,
            "isvId": str(a.isv_id),
            "createdAt": _iso(a.created_at),
            "lastSignInAt": _iso(a.last_sign_in_at),
        }
        for a in accounts
    ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(
            f"{row['email']}  isv {row['isvId']}  created {row['createdAt']}"
            f"  last sign-in {row['lastSignInAt'] or 'never'}"
        )
    click.echo(f"{len(rows)} account(s)")


@admin.command("delete")
@click.option("--email", required=True)
def delete(email: str) -> None:
    """Delete an account; its sessions stop working at once."""
    from install_service.staff.services import delete_account

    account = _run(lambda s: delete_account(s, email))
    click.echo(f"Deleted {account.email}.")


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None

"""The SQL database app (``sql.yaml``): an end user's own database, by its SQLAlchemy URL.

What its definition cannot say in YAML: the connection test (connect, then ``SELECT 1``) and
the insert of a ``sqlDestination`` block (runtime/sql_destination.py), both through
SQLAlchemy Core in a worker thread. Kinds of database: PostgreSQL (psycopg), MySQL and
MariaDB with the ``mysql`` extra (PyMySQL), and SQLite files, which are on this machine and
so allowed only where private targets are (``WEBHOOK_ALLOW_PRIVATE``: development, tests).

A network host is resolved and checked like a webhook host (security.ssrf: global addresses
only unless private ones are allowed), and the connection goes to the checked address (libpq
``hostaddr``), so a name that resolves differently a moment later cannot redirect it.
Messages never hold the URL or its password. Sources: SQLAlchemy 2.0 "Engine Configuration"
(database URLs); libpq "Parameter Key Words" (connect_timeout, hostaddr); PyMySQL
``connect()`` (connect_timeout).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from install_service.catalog.app_actions import AppCallError
from install_service.catalog.connection_test import ConnectionResult, redact
from install_service.security.ssrf import UnsafeWebhookUrl, is_forbidden, resolve

# URL backend → the SQLAlchemy dialect+driver we connect with.
DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "sqlite": "sqlite",
}
# The DBAPI module each driver needs, and where it comes from when it is missing.
DRIVER_MODULES = {
    "postgresql": ("psycopg", "install-service"),
    "mysql": ("pymysql", "install-service[mysql]"),
    "mariadb": ("pymysql", "install-service[mysql]"),
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
CONNECT_TIMEOUT_S = 10  # whole seconds: libpq and PyMySQL take an integer
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@functools.cache
def _aliases() -> dict[str, str]:
    return {"postgres": "postgresql", **{name: name for name in DRIVERS}}


async def target(url: str, *, allow_private: bool) -> tuple[sa.URL, dict[str, Any]]:
    """The URL to connect with (our driver set) and its ``connect_args`` (timeout, and the
    checked address of a network host).

    Raises:
        AppCallError (not transient): not a database URL, a kind of database we do not
            support, a SQLite file where private targets are not allowed, or a host that does
            not resolve or resolves to an address we may not reach, or no driver installed.
    """
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        raise AppCallError("The database URL is not a valid database URL") from None
    backend = _aliases().get(parsed.get_backend_name())
    if backend is None:
        raise AppCallError(
            f"Unsupported kind of database {parsed.get_backend_name()!r} "
            f"(supported: {', '.join(DRIVERS)})"
        )
    parsed = parsed.set(drivername=DRIVERS[backend])
    module, package = DRIVER_MODULES.get(backend, (None, ""))
    if module is not None and importlib.util.find_spec(module) is None:
        raise AppCallError(f"No driver for {backend} is installed here (pip install '{package}')")
    if backend == "sqlite":
        if not allow_private:
            raise AppCallError("A SQLite file cannot be used here: give a database server URL")
        return parsed, {"timeout": CONNECT_TIMEOUT_S}
    if not parsed.host:
        raise AppCallError("The database URL has no host name")
    try:
        addresses = await resolve(parsed.host, parsed.port or DEFAULT_PORTS[backend])
    except UnsafeWebhookUrl:
        raise AppCallError(f"The database host {parsed.host!r} does not resolve") from None
    if not allow_private and any(is_forbidden(a) for a in addresses):
        raise AppCallError(
            f"The database host {parsed.host!r} is on a private network: only public "
            "addresses can be reached"
        )
    address = str(addresses[0])
    if backend == "postgresql":
        return parsed, {"connect_timeout": CONNECT_TIMEOUT_S, "hostaddr": address}
    return parsed.set(host=address), {"connect_timeout": CONNECT_TIMEOUT_S}


async def test_connection(
    values: Mapping[str, str], *, allow_private: bool, timeout_s: float
) -> ConnectionResult:
    """Connect to ``values["url"]`` and run ``SELECT 1``; ok when that answers in time.

    Never raises: a refused URL or a failed connection comes back as ``ok=False`` with a
    readable reason without the URL or password.
    """
    url = values.get("url", "")
    try:
        parsed, connect_args = await target(url, allow_private=allow_private)
        async with asyncio.timeout(timeout_s):
            await asyncio.to_thread(_select_one, parsed, connect_args)
    except AppCallError as exc:
        return ConnectionResult(ok=False, reason=_redacted(exc.message, url))
    except TimeoutError:
        return ConnectionResult(
            ok=False, reason=f"The database did not answer within {timeout_s:g} s"
        )
    except SQLAlchemyError as exc:
        return ConnectionResult(ok=False, reason=_redacted(_database_said(exc), url))
    return ConnectionResult(ok=True)


async def insert_row(url: str, table: str, row: Mapping[str, Any], *, allow_private: bool) -> int:
    """Insert ``row`` (column → value) into ``table`` of the database at ``url``; returns 1.

    Raises:
        AppCallError: a refused URL (see :func:`target`), a table name that is not an
            identifier, a missing table or column, or a row the database refuses (not
            transient); the database unreachable or failing (transient).
    """
    if not TABLE_NAME.fullmatch(table):
        raise AppCallError(f"{table!r} is not a table name (letters, digits and _)")
    parsed, connect_args = await target(url, allow_private=allow_private)
    try:
        return await asyncio.to_thread(_insert, parsed, connect_args, table, dict(row))
    except NoSuchTableError:
        raise AppCallError(f"Table {table!r} does not exist") from None
    except sa.exc.OperationalError as exc:
        message = _redacted(f"The database could not take the row: {_database_said(exc)}", url)
        raise AppCallError(message, transient=True) from None
    except SQLAlchemyError as exc:
        message = _redacted(f"The database refused the row: {_database_said(exc)}", url)
        raise AppCallError(message) from None


def _select_one(url: sa.URL, connect_args: dict[str, Any]) -> None:
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


@functools.lru_cache(maxsize=32)
def _engine(url: sa.URL, connect_args: tuple[tuple[str, Any], ...]) -> sa.Engine:
    return sa.create_engine(
        url, pool_pre_ping=True, hide_parameters=True, connect_args=dict(connect_args)
    )


def _insert(url: sa.URL, connect_args: dict[str, Any], table_name: str, row: dict[str, Any]) -> int:
    engine = _engine(url, tuple(sorted(connect_args.items())))
    table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
    unknown = sorted(set(row) - set(table.columns.keys()))
    if unknown:
        raise AppCallError(f"Table {table_name!r} has no column {', '.join(map(repr, unknown))}")
    with engine.begin() as connection:
        connection.execute(table.insert().values(**row))
    return 1  # one row per run (some drivers report rowcount -1 for an INSERT)


def _database_said(exc: SQLAlchemyError) -> str:
    """The driver's own first line (e.g. psycopg's "password authentication failed for user
    ..."), without SQLAlchemy's statement and parameters."""
    origin = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(origin).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(origin).__name__


def _redacted(message: str, url: str) -> str:
    try:
        password = make_url(url.strip()).password or ""
    except (ArgumentError, ValueError):
        password = ""
    return redact(message.replace(url.strip(), "•••") if url.strip() else message, [password])

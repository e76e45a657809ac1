"""Engine and session configuration for advanced-alchemy's Litestar plugin, and migrations."""

from __future__ import annotations

from pathlib import Path

from advanced_alchemy.alembic.commands import AlembicCommands
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from install_service.db.transactions import WRITE_OPTION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Execution options of a read that holds no transaction between its statements: for what
# answers while the process starts (``/ready``, ``/metrics``), since ``DBOS.launch()``
# blocks the event loop on a ``CREATE INDEX CONCURRENTLY`` that waits for every open
# transaction in a PostgreSQL database.
AUTOCOMMIT_READ = {"isolation_level": "AUTOCOMMIT"}


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")  # milliseconds
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin(connection: Connection) -> None:
    """``BEGIN IMMEDIATE`` for a write transaction (``db.transactions.begin_write``), a
    deferred ``BEGIN`` otherwise: readers never queue behind the write lock; none in
    autocommit (``AUTOCOMMIT_READ``)."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    write = options.get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def sqlalchemy_config(
    database_url: str, migrations_dir: Path = MIGRATIONS_DIR, *, pooled: bool = True
) -> SQLAlchemyAsyncConfig:
    """Plugin configuration for ``database_url`` (``sqlite+aiosqlite://`` or
    ``postgresql+asyncpg://``). SQLite runs in WAL mode with foreign keys on; the
    file's folder is created if missing. Nothing commits on its own: each use case owns
    its transaction (``db.transactions``); a request's session is closed, rolling back
    whatever read transaction it had open, when the answer is sent. ``pooled=False``: each
    connection is closed when released (a one-off job on an event loop of its own)."""
    is_sqlite = database_url.startswith("sqlite")
    if is_sqlite and ":///" in database_url:
        Path(database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    config = SQLAlchemyAsyncConfig(
        connection_string=database_url,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # hide_parameters: a database error's message (and so the log) never shows the
        # values sent, such as a webhook secret being stored.
        engine_config=EngineConfig(
            pool_pre_ping=not is_sqlite,
            hide_parameters=True,
            **({} if pooled else {"poolclass": NullPool}),
        ),
        alembic_config=AlembicAsyncConfig(
            script_location=str(migrations_dir),
            version_table_name="alembic_version",
            render_as_batch=True,
        ),
        create_all=False,
    )
    if is_sqlite:
        engine = config.get_engine().sync_engine
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
    return config


def migrate(config: SQLAlchemyAsyncConfig) -> None:
    """Apply every Alembic migration up to head (synchronous; run it outside the event loop)."""
    AlembicCommands(sqlalchemy_config=config).upgrade("head")


def migrate_database(database_url: str) -> None:
    """:func:`migrate` on an unpooled engine of its own: safe from any thread, nothing left
    open after."""
    migrate(sqlalchemy_config(database_url, pooled=False))

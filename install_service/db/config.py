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
from sqlalchemy.pool import ConnectionPoolEntry

from install_service.db.transactions import WRITE_OPTION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


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
    deferred ``BEGIN`` otherwise: readers never queue behind the write lock."""
    # TODO(issue 10): False once every use case calls begin_write
    write = connection.get_execution_options().get(WRITE_OPTION, True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def sqlalchemy_config(database_url: str) -> SQLAlchemyAsyncConfig:
    """Plugin configuration for ``database_url`` (``sqlite+aiosqlite://`` or
    ``postgresql+asyncpg://``). SQLite runs in WAL mode with foreign keys on; the
    file's folder is created if missing. Transactions commit on 2xx/3xx responses."""
    is_sqlite = database_url.startswith("sqlite")
    if is_sqlite and ":///" in database_url:
        Path(database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    config = SQLAlchemyAsyncConfig(
        connection_string=database_url,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        engine_config=EngineConfig(pool_pre_ping=not is_sqlite),
        before_send_handler="autocommit",
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR),
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

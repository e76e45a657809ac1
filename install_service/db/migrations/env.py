"""Alembic environment: runs migrations on the async engine advanced-alchemy configured."""

import asyncio
from typing import TYPE_CHECKING, cast

from advanced_alchemy.base import metadata_registry
from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

import install_service.db.models  # noqa: F401  (registers every table)
from install_service.db.transactions import WRITE_OPTION

if TYPE_CHECKING:
    from advanced_alchemy.alembic.commands import AlembicCommandConfig
    from sqlalchemy.engine import Connection

config: "AlembicCommandConfig" = context.config  # type: ignore[assignment]


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata_registry.get(config.bind_key),
        compare_type=config.compare_type,
        version_table=config.version_table_name,
        user_module_prefix=config.user_module_prefix,
        render_as_batch=config.render_as_batch,
        # Each migration is all-or-nothing: its own transaction, on SQLite too (SQLite's
        # DDL is transactional; db.config issues the BEGIN that pysqlite would not).
        transaction_per_migration=True,
        transactional_ddl=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.db_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: "Connection") -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    configuration = config.get_section(config.config_ini_section) or {}
    configuration["sqlalchemy.url"] = config.db_url
    engine = cast(
        "AsyncEngine",
        config.engine
        or async_engine_from_config(configuration, prefix="sqlalchemy.", poolclass=pool.NullPool),
    )
    # A write transaction from its BEGIN (SQLite: BEGIN IMMEDIATE), so a migration waits for
    # a concurrent writer (busy_timeout) instead of failing when its read turns into a write.
    async with engine.connect() as connection:
        connection = await connection.execution_options(**{WRITE_OPTION: True})
        await connection.run_sync(do_run_migrations)


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())

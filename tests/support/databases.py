"""Real databases for tests: a SQLite file per test, or a fresh PostgreSQL database per
test inside the throwaway cluster that ``scripts/with-postgres.sh`` started (so parallel
pytest-xdist workers share the cluster, never a database)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

POSTGRES_URL_VAR = "INSTALL_SERVICE_TEST_POSTGRES_URL"


def postgres_available() -> bool:
    return bool(os.environ.get(POSTGRES_URL_VAR))


def require_postgres_in_ci() -> None:
    if os.environ.get("CI") == "true" and not postgres_available():
        raise RuntimeError(f"{POSTGRES_URL_VAR} is not set: run the tests through `make test`")


async def create_postgres_database() -> str:
    """A new empty database in the test cluster; returns its SQLAlchemy URL."""
    import asyncpg

    base = os.environ[POSTGRES_URL_VAR]
    # Unique per test; the pytest-xdist worker ("gw0", ...) in the name shows whose it is.
    name = f"t_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + "/" + name


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'install-service.db'}"


def database_url(kind: str, directory: Path) -> str:
    """URL of a fresh database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "postgresql":
        return asyncio.run(create_postgres_database())
    return sqlite_url(directory)

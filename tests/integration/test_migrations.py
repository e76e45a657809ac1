"""Each Alembic migration is all-or-nothing: one that fails half-way leaves the previous
schema (and its data) as it was, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from install_service.db.config import MIGRATIONS_DIR, migrate, sqlalchemy_config
from tests.support.db_rows import rows

pytestmark = pytest.mark.usefixtures("backend")

FAILING_MIGRATION = '''
"""A migration that fails after changing the schema."""
import sqlalchemy as sa
from alembic import op

revision = "f0f0f0f0f0f0"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("isv") as batch:
        batch.add_column(sa.Column("half_done_flag", sa.Boolean, nullable=True))
    op.execute("UPDATE isv SET name = 'changed by a failed migration'")
    raise RuntimeError("this migration fails half-way")


def downgrade() -> None:
    pass
'''


async def _migrate(database_url: str, migrations_dir: Path) -> None:
    config = sqlalchemy_config(database_url, migrations_dir)
    try:
        await asyncio.to_thread(migrate, config)
    finally:
        await config.get_engine().dispose()


async def _columns(database_url: str, table: str) -> set[str]:
    if database_url.startswith("sqlite"):
        return {r["name"] for r in await rows(database_url, f"PRAGMA table_info({table})")}
    found = await rows(
        database_url,
        "SELECT column_name AS name FROM information_schema.columns WHERE table_name = :t",
        t=table,
    )
    return {r["name"] for r in found}


async def _tables(database_url: str) -> set[str]:
    if database_url.startswith("sqlite"):
        found = await rows(database_url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        found = await rows(
            database_url,
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public'",
        )
    return {r["name"] for r in found}


async def test_a_failed_migration_leaves_the_previous_schema_usable(
    database_url: str, isv, tmp_path: Path
) -> None:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    broken = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "versions" / "2099_01_01_0000-f0f0f0f0f0f0_fails.py").write_text(
        FAILING_MIGRATION.format(head=head)
    )
    columns_before = await _columns(database_url, "isv")

    with pytest.raises(RuntimeError, match="fails half-way"):
        await _migrate(database_url, broken)

    assert "half_done" not in await _tables(database_url)
    assert await _columns(database_url, "isv") == columns_before
    assert await rows(database_url, "SELECT version_num FROM alembic_version") == [
        {"version_num": head}
    ]
    assert [r["name"] for r in await rows(database_url, "SELECT name FROM isv")] == ["AcmeCo"]
    await _migrate(database_url, MIGRATIONS_DIR)  # the real migrations still apply (no-op)

"""Where DBOS keeps its records: beside our database, never shared by two services."""

from __future__ import annotations

from pathlib import Path

from install_service.runtime.engine import system_database_url
from install_service.settings import Settings


def test_sqlite_system_database_is_a_second_file_in_the_same_folder(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite")
    assert system_database_url(settings) == f"sqlite:///{tmp_path}/db.dbos.sqlite"


def test_two_services_with_different_databases_get_different_system_databases(
    tmp_path: Path,
) -> None:
    one = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/a/install-service.db")
    two = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/b/install-service.db")
    assert system_database_url(one) != system_database_url(two)


def test_postgresql_uses_the_same_database_with_the_sync_driver() -> None:
    settings = Settings(database_url="postgresql+asyncpg://app:s3cret@db.internal:5433/acme")
    assert system_database_url(settings) == "postgresql+psycopg://app:s3cret@db.internal:5433/acme"


def test_the_override_wins() -> None:
    settings = Settings(
        database_url="sqlite+aiosqlite:///x.db", dbos_database_url="postgresql://dbos@h/sys"
    )
    assert system_database_url(settings) == "postgresql://dbos@h/sys"

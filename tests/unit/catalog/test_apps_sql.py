"""The SQL database app's URL checks: which databases an end user's URL may point at."""

from __future__ import annotations

import importlib.util

import pytest

from install_service.catalog.app_actions import AppCallError
from install_service.catalog.apps import sql


async def test_a_postgresql_url_connects_to_the_checked_address_with_a_timeout() -> None:
    url, connect_args = await sql.target(
        "postgres://app:pw@localhost:6543/orders", allow_private=True
    )

    assert url.drivername == "postgresql+psycopg" and url.host == "localhost"
    assert connect_args["hostaddr"] in {"127.0.0.1", "::1"}
    assert connect_args["connect_timeout"] == sql.CONNECT_TIMEOUT_S


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://app:pw@127.0.0.1/orders", "private network"),
        ("postgresql://app:pw@[::ffff:10.0.0.1]/orders", "private network"),
        ("sqlite:////var/lib/data.db", "SQLite file cannot be used"),
        ("mssql+pyodbc://app:pw@db.example.com/orders", "Unsupported kind of database 'mssql'"),
        ("postgresql:///orders", "no host name"),
        ("://nothing", "not a valid database URL"),
    ],
)
async def test_without_private_targets_only_public_database_servers_are_reachable(
    url: str, says: str
) -> None:
    with pytest.raises(AppCallError) as refused:
        await sql.target(url, allow_private=False)

    assert says in refused.value.message and not refused.value.transient
    assert "pw" not in refused.value.message


@pytest.mark.skipif(importlib.util.find_spec("pymysql") is not None, reason="PyMySQL installed")
async def test_mysql_without_its_extra_names_the_extra() -> None:
    with pytest.raises(AppCallError, match=r"install-service\[mysql\]"):
        await sql.target("mysql://app:pw@localhost/orders", allow_private=True)


async def test_a_table_name_must_be_an_identifier() -> None:
    with pytest.raises(AppCallError, match="not a table name"):
        await sql.insert_row("sqlite://", "orders; DROP TABLE x", {"a": 1}, allow_private=True)

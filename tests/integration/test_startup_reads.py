"""What answers while the process starts (``/ready``, ``/metrics``) reads in autocommit.

``DBOS.launch()`` blocks the event loop while its ``CREATE INDEX CONCURRENTLY`` waits for
every open transaction in a PostgreSQL database; a ``/ready`` suspended inside a
transaction then stalled start-up for good (CI saw it: never ready).
"""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from install_service.app import create_app
from install_service.settings import Settings
from tests.support.installs import eventually

TOKEN = "metrics-token-for-tests-0123456789"
STARTUP_READS = ("SELECT 1", "alembic_version", "count(")


async def test_ready_and_metrics_never_hold_a_transaction_open(settings: Settings) -> None:
    seen: list[tuple[str, bool]] = []

    def record(connection, _cursor, statement: str, *_args) -> None:
        if any(part in statement for part in STARTUP_READS):
            driver = connection.connection.driver_connection
            in_transaction = (
                driver.is_in_transaction()  # asyncpg
                if hasattr(driver, "is_in_transaction")
                else driver.in_transaction  # aiosqlite
            )
            seen.append((statement.split()[1], in_transaction))

    app = create_app(replace(settings, metrics_token=TOKEN))
    async with AsyncTestClient(app=app) as client:
        await eventually(lambda: _is_ready(client), timeout_s=30)
        event.listen(Engine, "after_cursor_execute", record)
        try:
            assert (await client.get("/ready")).status_code == 200
            scrape = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert scrape.status_code == 200
        finally:
            event.remove(Engine, "after_cursor_execute", record)
    assert len(seen) >= 4  # SELECT 1 and the revision; the two gauges
    assert not [statement for statement, open_ in seen if open_]


async def _is_ready(client: AsyncTestClient) -> bool:
    return (await client.get("/ready")).status_code == 200

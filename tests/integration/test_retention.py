"""Retention: executions, and DBOS's records of them, older than LOG_RETENTION_DAYS go in the
daily sweep (a DBOS schedule); younger ones stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from dbos import DBOS
from litestar.testing import AsyncTestClient

from install_service.runtime import retention
from tests.conftest import IsvFixture
from tests.support.db_rows import count
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    order_event,
    send_event,
)
from tests.support.workflows import installed_user


async def sweep(client: AsyncTestClient, now: datetime) -> int:
    """The daily sweep as of ``now``, run on the app's own event loop (its database engine
    belongs to that loop)."""
    return await asyncio.to_thread(client.blocking_portal.call, retention.purge_older_than, now)


async def test_the_sweep_removes_what_is_past_the_horizon_and_keeps_the_rest(
    client: AsyncTestClient, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str
) -> None:
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101)
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    sent = await send_event(client, isv, user_id, order_event())
    [execution_id] = sent.json()["executionIds"]
    await finished_execution(client, isv, workflow_id, user_id, execution_id)
    schedules = await DBOS.list_schedules_async()
    assert retention.SCHEDULE_NAME in {s["schedule_name"] for s in schedules}

    assert await sweep(client, datetime.now(UTC)) == 0  # 60 days: all young
    assert await count(database_url, "execution") == 1
    assert len(await DBOS.list_workflows_async(workflow_ids=[execution_id])) == 1

    later = datetime.now(UTC) + timedelta(days=61)  # the same run, seen 61 days on
    assert await sweep(client, later) == 1
    assert await count(database_url, "execution") == 0
    assert await DBOS.list_workflows_async(workflow_ids=[execution_id]) == []

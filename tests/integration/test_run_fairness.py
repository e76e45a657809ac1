"""One end user's flood does not starve another: the run queue is partitioned by ISV and
user, so 5,000 queued executions of one user leave another user's event waiting for a
second or two at most (a relaxed bound: this is an integration test, not a benchmark)."""

from __future__ import annotations

import asyncio
import time
import uuid

from litestar.testing import AsyncTestClient

from install_service.runtime.runner import Job, enqueue
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.runtime import (
    FULFILLMENT_WORKFLOW,
    finished_execution,
    fulfillment_workflow_id,
    order_event,
    send_event,
)
from tests.support.workflows import installed_user

FLOOD = 5000


async def _flood_jobs(database_url: str, isv: IsvFixture, user_id: str) -> list[Job]:
    [row] = await rows(
        database_url,
        "SELECT iw.id, iw.version_id, iw.workflow_id FROM installed_workflow iw "
        "JOIN installation i ON i.id = iw.installation_id "
        "JOIN workflow w ON w.id = iw.workflow_id WHERE w.name = :name",
        name=FULFILLMENT_WORKFLOW,
    )

    def text(value: object) -> str:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(bytes=value))

    return [
        Job(
            execution_id=str(uuid.uuid4()),
            isv_id=isv.isv_id,
            user_id=user_id,
            workflow_id=text(row["workflow_id"]),
            installed_workflow_id=text(row["id"]),
            version_id=text(row["version_id"]),
            trigger=order_event("101"),
        )
        for _ in range(FLOOD)
    ]


async def test_a_flood_of_one_user_does_not_delay_another_user(
    client: AsyncTestClient, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str
) -> None:
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101)
    flooder = await installed_user(client, isv, "flooder")
    jobs = await _flood_jobs(database_url, isv, flooder)
    other = await installed_user(client, isv, "patient")
    workflow_id = await fulfillment_workflow_id(client, isv, other)

    await asyncio.gather(*(enqueue(jobs[n::16]) for n in range(16)))
    started = time.monotonic()
    sent = await send_event(client, isv, other, order_event("101"))
    [execution_id] = sent.json()["executionIds"]
    execution = await finished_execution(client, isv, workflow_id, other, execution_id)
    waited = time.monotonic() - started

    assert execution["status"] == "success"
    assert waited < 2.5, f"the other user's event waited {waited:.2f} s behind the flood"
    assert len(bigcommerce.orders_calls()) < FLOOD // 2  # the flood was still queued

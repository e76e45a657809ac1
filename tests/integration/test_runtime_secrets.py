"""The secrets rule: after runs, failures and reruns, the end user's access token is in no
database file (ours or DBOS's, WAL included), no execution record and no log line."""

from __future__ import annotations

import logging

import pytest
from litestar.testing import AsyncTestClient

from install_service.runtime.engine import system_database_url
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import places_holding
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    order_event,
    send_event,
)
from tests.support.workflows import BASE, installed_user


async def test_no_plaintext_token_anywhere_after_runs_failures_and_reruns(
    client: AsyncTestClient,
    isv: IsvFixture,
    bigcommerce: FakeBigCommerce,
    settings: Settings,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101)
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    outcomes = []
    for data in (order_event(), order_event("101", "NO SUCH STATUS"), order_event("999")):
        sent = await send_event(client, isv, user_id, data)
        [execution_id] = sent.json()["executionIds"]
        outcomes.append(await finished_execution(client, isv, workflow_id, user_id, execution_id))
    bigcommerce.unavailable_next(3)  # transient failures, retried, then given up
    retried = await send_event(client, isv, user_id, order_event())
    [retried_id] = retried.json()["executionIds"]
    outcomes.append(await finished_execution(client, isv, workflow_id, user_id, retried_id))
    rerun = await client.post(
        f"{BASE}/workflows/{workflow_id}/rerun/{outcomes[1]['executionId']}",
        params={"userId": user_id},
        headers=isv.headers,
    )
    outcomes.append(
        await finished_execution(client, isv, workflow_id, user_id, rerun.json()["executionId"])
    )
    assert [o["status"] for o in outcomes] == ["success", "failed", "failed", "failed", "failed"]
    assert "gave up after 3 attempts" in outcomes[3]["blocks"][-1]["error"]

    dbos_url = system_database_url(settings)
    assert await places_holding(database_url, dbos_url, ACCESS_TOKEN.encode()) == []
    assert ACCESS_TOKEN not in caplog.text
    assert ACCESS_TOKEN not in str(outcomes)

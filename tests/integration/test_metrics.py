"""``GET /metrics``: Prometheus text behind a bearer token; our named series move after an
installation, a webhook and an execution; no user id or token in any label."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import eventually
from tests.support.receiver import Receiver, Reply
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    order_event,
    send_event,
)
from tests.support.workflows import installed_user

TOKEN = "metrics-token-for-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def app(modal_settings: Settings) -> Litestar:
    return create_app(replace(modal_settings, metrics_token=TOKEN))


def value(text: str, series: str) -> float:
    """The sample ``series`` (name and labels exactly as exposed), 0 when absent."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def scrape(client: AsyncTestClient) -> str:
    answer = await client.get("/metrics", headers=SCRAPE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_metrics_need_the_token(client: AsyncTestClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"
    assert TOKEN not in wrong.text


async def test_series_move_after_an_install_a_webhook_and_an_execution(
    client: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce, receiver: Receiver
) -> None:
    receiver.default = Reply(status=500)  # the installation webhook fails every attempt
    integration = f'integration="{isv.integration_id}"'
    before = await scrape(client)
    user_id = await installed_user(client, isv)
    workflow_id = await fulfillment_workflow_id(client, isv, user_id)
    sent = await send_event(client, isv, user_id, order_event("101", "FULFILLED"))
    [execution_id] = sent.json()["executionIds"]
    await finished_execution(client, isv, workflow_id, user_id, execution_id)

    async def dead_delivery() -> str | None:
        text = await scrape(client)
        return text if value(text, 'install_service_webhook_deliveries{state="dead"}') else None

    after = await eventually(dead_delivery, timeout_s=20)
    for series, grew_by in (
        (f"install_service_installations_total{{{integration}}}", 1),
        ('install_service_executions_total{status="success"}', 1),
        ('install_service_app_calls_total{app="bigcommerce",outcome="success"}', 1),
        ("install_service_execution_seconds_count", 1),
    ):
        assert value(after, series) - value(before, series) == grew_by, series
    assert value(after, 'install_service_queue_depth{queue="executions"}') == 0
    # Litestar's request series, by route template, never by raw path.
    logs_route = 'path="/2023-12/workflows/{workflow_id}/logs"'
    assert re.search(
        r"^install_service_http_requests_total\{[^}]*" + re.escape(logs_route), after, re.M
    )
    assert workflow_id not in after
    for secret in (user_id, isv.api_key, "gregg"):
        assert secret not in after


async def test_no_metrics_route_without_a_token(modal_settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(modal_settings)) as client:
        assert (await client.get("/metrics")).status_code == 404

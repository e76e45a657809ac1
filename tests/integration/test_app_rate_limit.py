"""An app's rate limit holds per credential across every process running executions.

BigCommerce allows 150 calls per 30 s per store; here the limit is set to 3 per 2 s
(``INSTALL_SERVICE_BIGCOMMERCE_APP_RATE_LIMIT``) so the test is short. On PostgreSQL two
``install-service worker`` processes share the queue (the limit is counted in DBOS's shared
system database, not in one process); on SQLite one ``serve`` process runs everything.
Another end user's store is not held back by the first one's limit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce, is_orders_call
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.processes import (
    ServiceProcess,
    free_port,
    runtime_env,
    server_logs,
    service_env,
    start_worker,
)
from tests.support.receiver import ReceivedRequest
from tests.support.runtime import EVENT, install_over_http, logs

LIMIT, PERIOD_S = 3, 2.0
EVENTS = 9  # three windows' worth for one store
SLACK_S = 0.25  # between DBOS starting a call and the request reaching the store

pytestmark = pytest.mark.usefixtures("backend")


def _puts(store: FakeBigCommerce, order_ids: range | list[int]) -> list[ReceivedRequest]:
    paths = {f"/stores/{STORE_HASH}/v2/orders/{n}" for n in order_ids}
    return [
        r for r in store.requests if is_orders_call(r) and r.method == "PUT" and r.path in paths
    ]


async def test_one_store_gets_at_most_its_limit_in_any_window(
    settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> None:
    postgres = settings.database_url.startswith("postgresql")
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    for order_id in [*range(1, EVENTS + 1), 500]:
        bigcommerce.add_order(STORE_HASH, order_id)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base_env = {
        **runtime_env(tmp_path / "var", settings.database_url, url, bigcommerce.api_base),
        "INSTALL_SERVICE_BIGCOMMERCE_APP_RATE_LIMIT": f"{LIMIT}/{PERIOD_S:g}",
        "INSTALL_SERVICE_RUN_CONCURRENCY_PER_USER": str(EVENTS),
    }
    web_env = {**base_env, "INSTALL_SERVICE_RUN_EXECUTIONS": "false"} if postgres else base_env
    web = ServiceProcess(
        ["serve", "--port", str(port)], service_env(web_env), url, tmp_path / "web.log"
    ).start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            busy, busy_workflow = await install_over_http(api, isv, "busy")
            other, other_workflow = await install_over_http(api, isv, "other")
            if postgres:
                for name in ("w1", "w2"):
                    env = service_env({**base_env, "INSTALL_SERVICE_EXECUTOR_ID": name})
                    workers.append(start_worker(env, tmp_path / f"{name}.log"))
            for n in range(1, EVENTS + 1):
                sent = await api.post(
                    "/2023-12/run/event",
                    json={
                        "event": EVENT,
                        "userId": busy,
                        "data": {"orderId": str(n), "status": "FULFILLED"},
                    },
                )
                assert sent.status_code == 200, sent.text
            sent = await api.post(
                "/2023-12/run/event",
                json={
                    "event": EVENT,
                    "userId": other,
                    "data": {"orderId": "500", "status": "FULFILLED"},
                },
            )
            assert sent.status_code == 200, sent.text

            async def finished(user_id: str, workflow_id: str, count: int) -> list[dict]:
                runs = (await logs(api, isv, workflow_id, user_id))["data"]  # type: ignore[arg-type]
                return runs if len(runs) == count and all(r["finished"] for r in runs) else []

            busy_logs = await eventually(
                lambda: finished(busy, busy_workflow, EVENTS), timeout_s=60, interval_s=0.2
            )
            other_logs = await eventually(lambda: finished(other, other_workflow, 1), timeout_s=10)
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=20)
        web.stop()

    busy_calls = sorted(r.arrived_at for r in _puts(bigcommerce, range(1, EVENTS + 1)))
    assert len(busy_calls) == EVENTS  # each order was set once
    # Any LIMIT + 1 consecutive calls of the busy store span at least one window.
    spans = [busy_calls[i + LIMIT] - busy_calls[i] for i in range(EVENTS - LIMIT)]
    assert min(spans) >= PERIOD_S - SLACK_S, spans
    # The other store's call did not wait behind the busy store's windows.
    [other_call] = _puts(bigcommerce, [500])
    assert other_call.arrived_at < busy_calls[-LIMIT]
    assert {e["status"] for e in busy_logs} == {"success"}
    assert [e["status"] for e in other_logs] == ["success"]
    assert ACCESS_TOKEN not in server_logs(tmp_path)

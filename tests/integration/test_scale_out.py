"""Scale-out on PostgreSQL: a web process that only enqueues and two ``install-service
worker`` processes share the DBOS queues; 200 events run exactly once each, all finish."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
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
from tests.support.runtime import EVENT, install_over_http

EVENTS = 200
USERS = 5


pytestmark = pytest.mark.usefixtures("backend")


async def test_two_workers_run_200_events_exactly_once(
    settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("scale-out needs PostgreSQL")
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    for order_id in range(1, EVENTS + 1):
        bigcommerce.add_order(STORE_HASH, order_id)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base_env = runtime_env(tmp_path / "var", settings.database_url, url, bigcommerce.api_base)
    web = ServiceProcess(
        ["serve", "--port", str(port)],
        service_env({**base_env, "INSTALL_SERVICE_RUN_EXECUTIONS": "false"}),
        url,
        tmp_path / "web.log",
    ).start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            users = [await install_over_http(api, isv, f"user{n}") for n in range(USERS)]
            # The workers share VAR_DIR, so the key material the web process generated.
            for name in ("w1", "w2"):
                env = service_env({**base_env, "INSTALL_SERVICE_EXECUTOR_ID": name})
                workers.append(start_worker(env, tmp_path / f"{name}.log"))
            ids = []
            for n in range(1, EVENTS + 1):
                user_id, _ = users[n % USERS]
                sent = await api.post(
                    "/2023-12/run/event",
                    json={
                        "event": EVENT,
                        "userId": user_id,
                        "data": {"orderId": str(n), "status": "FULFILLED"},
                    },
                )
                assert sent.status_code == 200, sent.text
                ids += sent.json()["executionIds"]

        async def all_finished() -> list[dict] | None:
            done = await rows(
                settings.database_url,
                "SELECT status, count(*) AS n FROM execution GROUP BY status",
            )
            finished = {r["status"]: r["n"] for r in done}
            return (
                done if finished.get("success", 0) + finished.get("failed", 0) == EVENTS else None
            )

        statuses = await eventually(all_finished, timeout_s=120, interval_s=0.5)
        executors = await rows(
            settings.database_url,
            "SELECT executor_id, count(*) AS n FROM dbos.workflow_status "
            "WHERE name = 'install_service.run_execution' GROUP BY executor_id",
        )
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=20)
        web.stop()
    assert len(set(ids)) == EVENTS
    assert statuses == [{"status": "success", "n": EVENTS}]
    puts = [r for r in bigcommerce.requests if is_orders_call(r) and r.method == "PUT"]
    assert len(puts) == EVENTS and len({r.path for r in puts}) == EVENTS  # each once
    ran = {r["executor_id"]: r["n"] for r in executors}
    assert set(ran) == {"w1", "w2"} and sum(ran.values()) == EVENTS, ran
    assert ACCESS_TOKEN not in server_logs(tmp_path)

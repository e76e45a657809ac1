"""A run survives the service: killed (SIGKILL) while BigCommerce hangs, the restarted
service finishes the run, and it ends ``success`` in the logs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.processes import (
    ServiceProcess,
    free_port,
    runtime_env,
    server_logs,
    service_env,
)
from tests.support.runtime import EVENT, install_over_http

pytestmark = pytest.mark.usefixtures("backend")


def service(settings: Settings, bigcommerce: FakeBigCommerce, tmp_path: Path) -> ServiceProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            **runtime_env(
                tmp_path / "service-var", settings.database_url, url, bigcommerce.api_base
            ),
            "INSTALL_SERVICE_APP_CALL_TIMEOUT": "60",
        }
    )
    return ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "service.log")


async def test_a_run_killed_while_bigcommerce_hangs_completes_after_restart(
    settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> None:
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101, status_id=11)
    release = bigcommerce.hang_next(1)
    server = service(settings, bigcommerce, tmp_path).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=isv.headers) as api:
            user_id, workflow_id = await install_over_http(api, isv)
            sent = await api.post(
                "/2023-12/run/event",
                json={
                    "event": EVENT,
                    "userId": user_id,
                    "data": {"orderId": "101", "status": "DELIVERED"},
                },
            )
            assert sent.status_code == 200, sent.text
            [execution_id] = sent.json()["executionIds"]
        bigcommerce.wait_for_orders_call(1)  # the PUT is in flight, and hangs
        server.kill()
        [row] = await rows(settings.database_url, "SELECT status FROM execution")
        assert row["status"] == "running"
        release.set()  # the dead process's call ends; the store stays as it was for it

        server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=isv.headers) as api:

            async def finished() -> dict | None:
                page = await api.get(
                    f"/2023-12/workflows/{workflow_id}/logs", params={"userId": user_id}
                )
                [execution] = page.json()["data"]
                return execution if execution["finished"] else None

            execution = await eventually(finished, timeout_s=30)
    finally:
        server.stop()
    assert execution["executionId"] == execution_id
    assert execution["status"] == "success", execution
    assert bigcommerce.order(STORE_HASH, 101)["status_id"] == 10  # DELIVERED -> Completed
    assert ACCESS_TOKEN not in server_logs(tmp_path)

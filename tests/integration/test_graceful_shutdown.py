"""SIGTERM: the server stops accepting, finishes the request in flight, exits 0, and what
it accepted (the request's write, a run cut short) is there and continues after a restart."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.processes import ServiceProcess, free_port, runtime_env, service_env
from tests.support.receiver import Receiver, Reply
from tests.support.runtime import EVENT, install_over_http

pytestmark = pytest.mark.usefixtures("backend")


def service(settings: Settings, bigcommerce: Any, tmp_path: Path) -> ServiceProcess:
    """``serve`` whose BigCommerce is ``bigcommerce`` (anything with an ``api_base`` or a
    ``url``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api_base = getattr(bigcommerce, "api_base", None) or bigcommerce.url.removesuffix("/hook")
    env = runtime_env(tmp_path / "service-var", settings.database_url, url, api_base)
    env |= {"INSTALL_SERVICE_APP_CALL_TIMEOUT": "60", "INSTALL_SERVICE_SHUTDOWN_GRACE": "20"}
    return ServiceProcess(["serve", "--port", str(port)], service_env(env), url, tmp_path / "s.log")


async def refused(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            await client.get(url + "/health")
    except httpx.TransportError:  # refused, or accepted by the closing socket's backlog and reset
        return True
    return False


async def test_sigterm_finishes_the_request_in_flight_and_exits_0(
    settings: Settings, isv: IsvFixture, tmp_path: Path
) -> None:
    # The credential's connection test calls "BigCommerce", which holds its answer: the
    # request is in the handler when SIGTERM comes.
    store, hold = Receiver().start(), threading.Event()
    store.default = Reply(body=b'{"name": "Store"}', hold=hold)
    server = service(settings, store, tmp_path).start()
    credential = {"app": "bigcommerce", "data": {"storeHash": STORE_HASH, "accessToken": "t0k"}}
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=isv.headers, timeout=30) as api:
            user = (await api.post("/2023-12/users", json={"username": "gregg"})).json()["userId"]
            saving = asyncio.create_task(
                api.post(f"/2023-12/users/{user}/credentials", json=credential)
            )
            await asyncio.to_thread(store.wait_for, 1, answered=False)
            server.terminate()
            await eventually(lambda: refused(server.url), timeout_s=15)  # no longer accepting
            hold.set()
            answer = await saving
        assert answer.status_code == 201, answer.text
        assert server.wait_exit() == 0
    finally:
        hold.set()
        server.stop()
        store.stop()
    [row] = await rows(settings.database_url, "SELECT app FROM credential")
    assert row["app"] == "bigcommerce"


async def test_sigterm_during_a_run_loses_nothing_and_the_run_ends_after_restart(
    settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> None:
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101, status_id=11)
    release = bigcommerce.hang_next(1)
    server = service(settings, bigcommerce, tmp_path).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=isv.headers) as api:
            user_id, workflow_id = await install_over_http(api, isv)
            event = {
                "event": EVENT,
                "userId": user_id,
                "data": {"orderId": "101", "status": "DELIVERED"},
            }
            [execution_id] = (await api.post("/2023-12/run/event", json=event)).json()[
                "executionIds"
            ]
        bigcommerce.wait_for_orders_call(1)  # the PUT is in flight, and hangs
        server.terminate()
        assert server.wait_exit() == 0
        release.set()
        [row] = await rows(settings.database_url, "SELECT status FROM execution")
        assert row["status"] == "running"  # accepted, not finished, not lost

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
        release.set()
        server.stop()
    assert execution["executionId"] == execution_id and execution["status"] == "success"
    assert bigcommerce.order(STORE_HASH, 101)["status_id"] == 10

"""``/health`` and ``/ready`` across a server's life: ready only once migrated and launched,
not ready while its database is away, and requests held (not failed) while it starts."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.settings import Settings
from tests.support.databases import create_postgres_database, postgres_available
from tests.support.installs import eventually
from tests.support.processes import ServiceProcess, free_port, service_env
from tests.support.tcp_proxy import TcpProxy

CHECKS = {"startup", "database", "migrations", "runtime", "keys"}


async def ready(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/ready")


async def test_ready_waits_for_migrations_and_held_requests_then_answer(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    database = var / "install-service.db"
    # Another process holds the write lock: the server's start-up migration has to wait.
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(var),
            "INSTALL_SERVICE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "INSTALL_SERVICE_PUBLIC_URL": url,
        }
    )
    server = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "serve.log")
    server.start()  # /health answers at once: the process is alive
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            starting = await ready(client)
            assert starting.status_code == 503
            assert starting.json()["status"] == "not_ready"
            assert starting.json()["checks"]["startup"] == "starting"
            assert set(starting.json()["checks"]) == CHECKS
            # A key the service must look up: without the gate, a 500 (no table yet).
            unknown_key = {"Authorization": "Bearer isk_dev_" + "A" * 43}
            held = asyncio.create_task(client.get("/2024-03/users", headers=unknown_key))
            assert (await ready(client)).status_code == 503  # held was sent before this
            assert not held.done()
            holder.execute("ROLLBACK")
            holder.close()
            answer = await eventually(
                lambda: _when(ready(client), lambda r: r.status_code == 200), timeout_s=30
            )
            assert answer.json() == {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")}
            # Held, then answered by the route.
            assert (await held).status_code == 401
    finally:
        if holder is not None:
            holder.close()
        server.stop()


@pytest.mark.postgres
async def test_ready_is_503_while_the_database_is_away(tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip("needs the test PostgreSQL cluster")
    direct = await create_postgres_database()
    parts = urlsplit(direct)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)).restore()
    through_proxy = direct.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var"),
            "INSTALL_SERVICE_DATABASE_URL": through_proxy,
            "INSTALL_SERVICE_PUBLIC_URL": url,
        }
    )
    server = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "serve.log")
    server.start(timeout_s=60)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await _ready_or_explain(client, server, 60)
            proxy.cut()
            away = await eventually(
                lambda: _when(ready(client), lambda r: r.status_code == 503), timeout_s=30
            )
            assert away.json()["checks"]["database"] != "ok"
            assert "postgres" not in away.text  # no URL, user or version in the answer
            assert (await client.get("/health")).status_code == 200  # alive all along
            proxy.restore()
            await _ready_or_explain(client, server, 30)
    finally:
        server.stop()
        proxy.cut()


async def test_a_failed_start_up_answers_503_not_ready(settings: Settings) -> None:
    broken = replace(settings, dbos_database_url="sqlite:////proc/no-such-folder/dbos.sqlite")
    async with AsyncTestClient(app=create_app(broken)) as client:
        refused = await client.get("/2024-03/users")
        assert refused.status_code == 503
        assert refused.json()["code"] == "not_ready"
        assert refused.headers["retry-after"] == "1"
        answer = await client.get("/ready")
        assert answer.status_code == 503 and answer.json()["checks"]["startup"] == "failed"
        assert (await client.get("/health")).json() == {"status": "ok"}


async def _ready_or_explain(
    client: httpx.AsyncClient, server: ServiceProcess, timeout_s: float
) -> httpx.Response:
    """Wait for ``/ready`` 200; on timeout, fail with the last answer and the server's log."""
    try:
        return await eventually(
            lambda: _when(ready(client), lambda r: r.status_code == 200), timeout_s
        )
    except TimeoutError:
        try:
            last = (await ready(client)).text
        except httpx.TransportError as error:
            last = repr(error)
        pytest.fail(
            f"not ready within {timeout_s} s; /ready: {last}\n{server.log_path.read_text()}"
        )


async def _when(answer, accept) -> httpx.Response | None:
    try:
        response = await answer
    except httpx.TransportError:
        return None
    return response if accept(response) else None

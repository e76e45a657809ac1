"""Set-up for bench/run_event.py: the fake store, the server, an ISV with the example
catalogue, and end users who installed it (through the modal's form POST)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.databases import POSTGRES_URL_VAR, create_postgres_database, sqlite_url
from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, run_cli, service_env

EXAMPLE = REPO_ROOT / "examples" / "acme-bigcommerce.yaml"
FULFILLMENT = "When a fulfillment status is updated"
STORE_HASH, ACCESS_TOKEN = "abc123", "bench-token"


async def database_url(backend: str, directory: Path) -> str | None:
    """A fresh database of ``backend``; None for PostgreSQL when no cluster is running."""
    if backend == "sqlite":
        return sqlite_url(directory)
    if not os.environ.get(POSTGRES_URL_VAR):
        return None
    return await create_postgres_database()


class FakeStore:
    """bench/fake_store.py in its own process; ``arrivals()`` {order id: monotonic time}."""

    def __init__(self, directory: Path) -> None:
        self.port, self.log = free_port(), directory / "store-arrivals.log"
        script = Path(__file__).with_name("fake_store.py")
        self._proc = subprocess.Popen(
            [sys.executable, str(script), str(self.port), str(self.log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None and self._proc.stdout.readline().strip() == "ready"

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arrivals(self) -> dict[str, float]:
        if not self.log.exists():
            return {}
        pairs = (line.split() for line in self.log.read_text().splitlines() if line.strip())
        return {order: float(t) for order, t in pairs}

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


def start_service(db_url: str, store: FakeStore, directory: Path) -> tuple[ServiceProcess, dict]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(directory / "var"),
            "INSTALL_SERVICE_DATABASE_URL": db_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": store.api_base,
            "INSTALL_SERVICE_RATE_LIMIT_API": "1000000/second",
            "INSTALL_SERVICE_RATE_LIMIT_USER": "1000000/second",
        }
    )
    server = ServiceProcess(["serve", "--port", str(port)], env, url, directory / "service.log")
    return server.start(timeout_s=60), env


async def set_up_users(url: str, env: dict, users: int) -> tuple[dict[str, str], list[str]]:
    """Create the ISV, load the example, install it for ``users`` users.

    Returns (API headers, user ids); the fulfillment workflow is checked to be installed."""
    isv = json.loads(run_cli(["isv", "create", "--name", "Bench", "--json"], env))
    run_cli(["catalog", "load", str(EXAMPLE), "--isv", isv["isvId"]], env)
    headers = {"Authorization": f"Bearer {isv['apiKey']}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as api:
        user_ids, integration_id = [], None
        for i in range(users):
            created = await api.post("/2024-03/users", json={"username": f"bench{i}"})
            assert created.status_code == 201, created.text
            user_id = created.json()["userId"]
            token = (await api.get(f"/2024-03/users/{user_id}/token")).json()["token"]
            if integration_id is None:
                listed = await api.get("/2024-03/integrations", params={"userId": user_id})
                integration_id = listed.json()["data"][0]["integrationId"]
            done = await api.post(
                "/forge-install/install",
                data={
                    "integrationId": integration_id,
                    "storeHash": STORE_HASH,
                    "accessToken": ACCESS_TOKEN,
                },
                headers={"x-alloy-user-token": token},
            )
            assert done.status_code == 200, done.text
            workflows = (await api.get("/2024-03/workflows", params={"userId": user_id})).json()
            assert any(w["name"].startswith(FULFILLMENT) for w in workflows["data"]), workflows
            user_ids.append(user_id)
    return headers, user_ids


async def execution_counts(db_url: str) -> tuple[dict[str, int], float | None]:
    """{status: count} of the execution table, and the latest stopped_at (epoch seconds)."""
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from install_service.db.models import Execution

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Execution.status, func.count()).group_by(Execution.status)
            )
            counts = {status: n for status, n in rows}
            last = await conn.scalar(select(func.max(Execution.stopped_at)))
    finally:
        await engine.dispose()
    return counts, (last.timestamp() if last is not None else None)

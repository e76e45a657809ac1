"""Set-up shared by bench/run_event.py and bench/callback.py: the fake store, the server,
an ISV with a catalogue, end users who installed it (through the modal's form POST), and
the report helpers (percentiles, goals, a section of bench/results.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def goal(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_section(path: Path, text: str) -> None:
    """Put ``text`` (starting with a ``# `` heading) in ``path``, replacing the section of
    that heading (up to the next ``# `` heading) or appending it; the other sections stay."""
    heading = text.split("\n", 1)[0]
    old = path.read_text() if path.exists() else ""
    sections, current = [], []
    for line in old.splitlines():
        if line.startswith("# ") and current:
            sections.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if current:
        sections.append("\n".join(current).strip("\n"))
    new = text.strip("\n")
    kept = [new if s.split("\n", 1)[0] == heading else s for s in sections if s]
    if new not in kept:
        kept.append(new)
    path.write_text("\n\n".join(kept) + "\n")


class FakeStore:
    """bench/fake_store.py in its own process: the fake BigCommerce and the Stream Data
    receiver (``inbox_url``). ``arrivals(kind)``: {order id: monotonic time} of the PUTs
    (``"put"``) or the Stream Data posts (``"stream"``)."""

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

    @property
    def inbox_url(self) -> str:
        return f"{self.api_base}/inbox/orders"

    def arrivals(self, kind: str = "put") -> dict[str, float]:
        if not self.log.exists():
            return {}
        rows = (line.split() for line in self.log.read_text().splitlines() if line.strip())
        return {order: float(t) for k, order, t in rows if k == kind}

    def hooks(self, store_hash: str = STORE_HASH) -> list[dict]:
        """The store's hooks, with the headers each was created with (one page of 250)."""
        url = f"{self.api_base}/stores/{store_hash}/v3/hooks?limit=250"
        return httpx.get(url, timeout=10).json()["data"]

    def wait_for_hooks(self, count: int, timeout_s: float = 60.0) -> list[dict]:
        """Block until the store holds ``count`` hooks (the installs register them in the
        background); returns them. Raises TimeoutError."""
        deadline = time.monotonic() + timeout_s
        while len(hooks := self.hooks()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} hooks, the store has {len(hooks)}")
            time.sleep(0.2)
        return hooks

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


def start_service(
    db_url: str,
    store: FakeStore | None,
    directory: Path,
    *,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> tuple[ServiceProcess, dict]:
    """``install-service serve`` on ``port`` (a free one by default) with the bench's
    settings, plus ``extra_env``; returns it once healthy, and its environment. Without
    ``store`` the server keeps the real BigCommerce API base (nothing may call it)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(directory / "var"),
            "INSTALL_SERVICE_DATABASE_URL": db_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_RATE_LIMIT_API": "1000000/second",
            "INSTALL_SERVICE_RATE_LIMIT_USER": "1000000/second",
            **({"INSTALL_SERVICE_BIGCOMMERCE_API_BASE": store.api_base} if store else {}),
            **(extra_env or {}),
        }
    )
    server = ServiceProcess(["serve", "--port", str(port)], env, url, directory / "service.log")
    return server.start(timeout_s=60), env


async def set_up_users(
    url: str, env: dict, users: int, catalog: Path = EXAMPLE, workflow: str = FULFILLMENT
) -> tuple[dict[str, str], list[str]]:
    """Create the ISV, load ``catalog`` (its first integration is installed), install it
    for ``users`` users.

    Returns (API headers, user ids); a workflow named ``workflow...`` is checked to be
    installed for each."""
    isv = json.loads(run_cli(["isv", "create", "--name", "Bench", "--json"], env))
    run_cli(["catalog", "load", str(catalog), "--isv", isv["isvId"]], env)
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
            assert any(w["name"].startswith(workflow) for w in workflows["data"]), workflows
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

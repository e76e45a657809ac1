"""P3: installation commit → ``installation.completed`` webhook received, p50/p99, against a
real ``install-service serve`` whose ISV's webhook URL is a local receiver
(tests/support/receiver.py), the install done through the modal's form POST
(``/forge-install/install``, as tests/support/runtime.py ``install_over_http`` does).

One install at a time (light load). The clock starts at the outbox row's ``created_at``
(set as the install's transaction flushes, just before it commits; so the figure
overstates commit → received by the commit itself) and stops when the receiver has the
request (its monotonic clock, made wall-clock by CLOCK_REALTIME - CLOCK_MONOTONIC). The
webhook often arrives before the install's own answer does, so the answer's latency,
reported beside it, cannot be the start.

    PYTHONPATH=. .venv/bin/python bench/install_webhook.py [--installs 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import (
    ACCESS_TOKEN,
    EXAMPLE,
    STORE_HASH,
    FakeStore,
    database_url,
    pct,
    start_service,
)
from tests.support.processes import run_cli
from tests.support.receiver import Receiver

API = "/2024-03"


def mentions(user_id: str):
    """Whether a received request's body names ``user_id`` (its webhook)."""
    return lambda request: user_id.encode() in request.body


def install_all(url: str, env: dict, receiver: Receiver, installs: int) -> dict:
    isv = json.loads(
        run_cli(["isv", "create", "--name", "Bench", "--webhook-url", receiver.url, "--json"], env)
    )
    run_cli(["catalog", "load", str(EXAMPLE), "--isv", isv["isvId"]], env)
    headers = {"Authorization": f"Bearer {isv['apiKey']}"}
    answers, arrived = [], {}
    offset = time.time() - time.monotonic()
    with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
        integration_id = None
        for n in range(installs + 3):  # the first 3 warm up
            user_id = api.post(f"{API}/users", json={"username": f"hook{n}"}).json()["userId"]
            token = api.get(f"{API}/users/{user_id}/token").json()["token"]
            if integration_id is None:
                listed = api.get(f"{API}/integrations", params={"userId": user_id}).json()
                integration_id = listed["data"][0]["integrationId"]
            form = {
                "integrationId": integration_id,
                "storeHash": STORE_HASH,
                "accessToken": ACCESS_TOKEN,
            }
            began = time.monotonic()
            done = api.post(
                "/forge-install/install", data=form, headers={"x-alloy-user-token": token}
            )
            answered = time.monotonic()
            assert done.status_code == 200, done.text
            [hook] = receiver.wait_for(1, timeout_s=30, where=mentions(user_id), answered=False)
            if n >= 3:
                answers.append(answered - began)
                arrived[user_id] = hook.arrived_at + offset
    return {"arrived": arrived, "answers": answers}


async def committed_at(db_url: str) -> dict[str, float]:
    """{userId: epoch s} of the installation.completed outbox rows' ``created_at``."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from install_service.db.models import WebhookDelivery

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(WebhookDelivery.payload, WebhookDelivery.created_at).where(
                    WebhookDelivery.event_type == "installation.completed"
                )
            )
            return {json.loads(p)["userId"]: at.timestamp() for p, at in rows}
    finally:
        await engine.dispose()


def figures(installed: dict, committed: dict[str, float]) -> dict:
    arrived, answers = installed["arrived"], installed["answers"]
    deliveries = [at - committed[user] for user, at in arrived.items()]
    return {
        "installs": len(deliveries),
        "p50_ms": pct(deliveries, 50) * 1000,
        "p99_ms": pct(deliveries, 99) * 1000,
        "answer_p50_ms": pct(answers, 50) * 1000,
        "answer_p99_ms": pct(answers, 99) * 1000,
    }


async def measure(backend: str, installs: int, workdir: Path) -> dict | None:
    """None when ``backend`` is postgresql and no cluster runs."""
    directory = workdir / f"install-webhook-{backend}"
    directory.mkdir(parents=True)
    db_url = await database_url(backend, directory)
    if db_url is None:
        return None
    store, receiver = FakeStore(directory), Receiver().start()
    try:
        server, env = start_service(db_url, store, directory)
        try:
            installed = install_all(server.url, env, receiver, installs)
        finally:
            server.stop()
        return {"backend": backend, **figures(installed, await committed_at(db_url))}
    finally:
        receiver.stop()
        store.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installs", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true", help="last stdout line: the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-install-webhook-") as tmp:
        result = await measure(args.backend, args.installs, Path(tmp))
    print(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())

"""Benchmark ``POST /2024-03/run/event`` against a real ``install-service serve``.

Measures events/s accepted (N concurrent clients), request latency p50/p99, event → fake
BigCommerce PUT latency p50/p99, and executions completed per second; on SQLite, and on
PostgreSQL when ``INSTALL_SERVICE_TEST_POSTGRES_URL`` is set (``make bench`` runs this under
scripts/with-postgres.sh). Writes its section of bench/results.md. Not a test.

    PYTHONPATH=. .venv/bin/python bench/run_event.py [--events 2000] [--clients 32] [--users 20] \
        [--backend postgresql] [--out FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import (
    FakeStore,
    database_url,
    execution_counts,
    goal,
    pct,
    set_up_users,
    start_service,
    write_section,
)

EVENT = "Fulfillment Updated"
RESULTS = Path(__file__).with_name("results.md")
GOAL_EVENTS_S, GOAL_P99_MS, GOAL_CALL_P50_MS = 2000, 50.0, 100.0
WARMUP_BASE = 10_000_000  # warm-up order ids, apart from the measured ones


async def send_events(
    url: str, headers: dict, users: list[str], order_ids: list[int], clients: int
) -> tuple[dict[int, float], list[float], float]:
    """Send one event per order id with ``clients`` concurrent senders; returns
    ({order id: send time}, request latencies in s, wall time in s)."""
    sent: dict[int, float] = {}
    latencies: list[float] = []
    queue = list(reversed(order_ids))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as api:

        async def sender() -> None:
            while queue:
                order = queue.pop()
                body = {
                    "event": EVENT,
                    "userId": users[order % len(users)],
                    "data": {"orderId": str(order), "status": "FULFILLED"},
                }
                start = time.monotonic()
                sent[order] = start
                answer = await api.post("/2024-03/run/event", json=body)
                latencies.append(time.monotonic() - start)
                assert answer.status_code == 200, answer.text
                assert len(answer.json()["executionIds"]) == 1, answer.text

        began = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(clients)))
    return sent, latencies, time.monotonic() - began


async def wait_finished(db_url: str, total: int, timeout_s: float = 180.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        counts, _ = await execution_counts(db_url)
        done = sum(counts.get(s, 0) for s in ("success", "failed", "filtered"))
        if done >= total or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)


async def measure(backend: str, db_url: str, store: FakeStore, args, directory: Path) -> dict:
    server, env = start_service(db_url, store, directory)
    try:
        headers, users = await set_up_users(server.url, env, args.users)
        warm = [WARMUP_BASE + i for i in range(2 * len(users))]
        await send_events(server.url, headers, users, warm, args.clients)
        await wait_finished(db_url, len(warm))
        orders = list(range(1, args.events + 1))
        wall0 = time.time()
        sent, latencies, elapsed = await send_events(
            server.url, headers, users, orders, args.clients
        )
        counts = await wait_finished(db_url, len(warm) + len(orders))
        _, last_stop = await execution_counts(db_url)
    finally:
        server.stop()
    arrivals = store.arrivals()
    calls = [arrivals[str(o)] - sent[o] for o in orders if str(o) in arrivals]
    ok = counts.get("success", 0) - len(warm)
    exec_window = (last_stop - wall0) if last_stop else float("nan")
    return {
        "backend": backend,
        "events": len(orders),
        "accepted_s": len(orders) / elapsed,
        "req_p50": pct(latencies, 50) * 1000,
        "req_p99": pct(latencies, 99) * 1000,
        "call_p50": pct(calls, 50) * 1000,
        "call_p99": pct(calls, 99) * 1000,
        "calls": len(calls),
        "success": ok,
        "counts": counts,
        "exec_s": ok / exec_window,
    }


def table(results: list[dict], args, notes: list[str]) -> str:
    lines = [
        "# `make bench`: POST /2024-03/run/event",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; {args.events} events, "
        f"{args.clients} concurrent clients (httpx), {args.users} users, one `install-service "
        "serve` process (executions run in it), fake BigCommerce in its own process.",
        "",
        "| backend | events/s accepted | request p50 / p99 ms | event → PUT p50 / p99 ms "
        "| executions/s completed | success |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['accepted_s']:,.0f} | {r['req_p50']:.1f} / {r['req_p99']:.1f} "
            f"| {r['call_p50']:.1f} / {r['call_p99']:.1f} | {r['exec_s']:,.1f} "
            f"| {r['success']}/{r['events']} |"
        )
    lines += ["", "Goals:", ""]
    for r in results:
        lines.append(
            f"- {r['backend']}: ≥ {GOAL_EVENTS_S:,} events/s accepted"
            f"{' (the goal is for PostgreSQL)' if r['backend'] != 'postgresql' else ''}: "
            f"{goal(r['accepted_s'] >= GOAL_EVENTS_S)}; request p99 ≤ {GOAL_P99_MS:.0f} ms: "
            f"{goal(r['req_p99'] <= GOAL_P99_MS)}; event → app call p50 ≤ "
            f"{GOAL_CALL_P50_MS:.0f} ms: {goal(r['call_p50'] <= GOAL_CALL_P50_MS)}"
        )
    return "\n".join([*lines, "", *notes, ""])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--json", action="store_true", help="last stdout line: the results as one JSON object"
    )
    args = parser.parse_args()
    if args.events / args.users > 140:
        print("note: over 140 events per user meet BigCommerce's 150 calls/30 s per store limit")
    results, notes = [], []
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
            directory = Path(tmp)
            db_url = await database_url(backend, directory)
            if db_url is None:
                notes.append(f"{backend}: skipped (no INSTALL_SERVICE_TEST_POSTGRES_URL).")
                print(notes[-1])
                continue
            store = FakeStore(directory)
            try:
                result = await measure(backend, db_url, store, args, directory)
            finally:
                store.stop()
            print(result)
            results.append(result)
    text = table(results, args, notes)
    print(text)
    write_section(args.out, text)
    if args.json:  # for bench/suite.py
        print(json.dumps({"results": results, "notes": notes}))


if __name__ == "__main__":
    asyncio.run(main())

"""P8: resident memory (VmRSS, /proc) of one ``install-service serve`` process (SQLite)
after a warm-up and after N more requests, a round-robin mix of the read routes
(``GET /users/{id}/token``, ``GET /integrations?userId=``, ``GET /users/{id}``) over 20
users, sent by wrk (4 connections) in rounds until N are done; httpx when wrk is missing.

    PYTHONPATH=. .venv/bin/python bench/memory.py [--requests 100000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import FakeStore, set_up_users, start_service
from tests.support.databases import sqlite_url

WARMUP = 2000
USERS = 20
WRK_SCRIPT = """\
local paths = {%s}
local n = 0
wrk.headers["Authorization"] = "%s"
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def read_paths(users: list[str]) -> list[str]:
    paths = []
    for user in users:
        paths += [
            f"/2024-03/users/{user}/token",
            f"/2024-03/integrations?userId={user}",
            f"/2024-03/users/{user}",
        ]
    return paths


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` plus that of its children (a server that forks a worker)."""
    total, pids = 0, [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        status = Path(f"/proc/{p}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    return total


def with_wrk(url: str, script: Path, requests: int) -> tuple[int, int]:
    """Rounds of wrk until ``requests`` are sent; (requests, non-2xx answers)."""
    done = bad = 0
    while done < requests:
        seconds = 2 if requests - done < 2000 else 10
        out = subprocess.run(
            ["wrk", "-t1", "-c4", f"-d{seconds}s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        done += int(re.search(r"(\d+) requests in", out).group(1))
        if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
            bad += int(match.group(1))
    return done, bad


async def with_httpx(url: str, headers: dict, paths: list[str], requests: int) -> tuple[int, int]:
    counter, bad = iter(range(requests)), 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def one_connection() -> None:
            nonlocal bad
            for n in counter:
                answer = await client.get(paths[n % len(paths)])
                bad += answer.status_code != 200

        await asyncio.gather(*(one_connection() for _ in range(4)))
    return requests, bad


async def measure(requests: int, workdir: Path) -> dict:
    store = FakeStore(workdir)
    try:
        server, env = start_service(sqlite_url(workdir), store, workdir)
        try:
            headers, users = await set_up_users(server.url, env, USERS)
            paths = read_paths(users)
            script = workdir / "mix.lua"
            quoted = ", ".join(f'"{p}"' for p in paths)
            script.write_text(WRK_SCRIPT % (quoted, headers["Authorization"]))
            use_wrk = shutil.which("wrk") is not None

            async def send(n: int) -> tuple[int, int]:
                if use_wrk:
                    return await asyncio.to_thread(with_wrk, server.url, script, n)
                return await with_httpx(server.url, headers, paths, n)

            pid = server._proc.pid  # ServiceProcess keeps its Popen private
            await send(WARMUP)
            warm_kib = rss_kib(pid)
            began = time.monotonic()
            sent, bad = await send(requests)
            elapsed = time.monotonic() - began
            after_kib = rss_kib(pid)
        finally:
            server.stop()
    finally:
        store.stop()
    return {
        "tool": "wrk -t1 -c4" if use_wrk else "httpx, 4 connections",
        "warmup": WARMUP,
        "requests": sent,
        "non_2xx": bad,
        "req_s": sent / elapsed,
        "rss_warm_mib": warm_kib / 1024,
        "rss_after_mib": after_kib / 1024,
        "growth": after_kib / warm_kib - 1,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="last stdout line: the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        result = await measure(args.requests, Path(tmp))
    print(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())

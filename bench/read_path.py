"""Benchmark the read path (P4): req/s of ``GET /users/{id}/token``, ``GET /integrations?userId=``
and ``GET /users/{id}`` against a real ``install-service serve``, as ratios to a bare Litestar
hello route served the same way (uvicorn, one process, uvloop/httptools, no access log).

Load: ``wrk -t1 -c<connections>`` when wrk is installed (``apt-get install wrk``), else an
httpx client with as many connections (its own CPU use then lowers every figure, the anchor's
most). Rate limits are raised for the run. SQLite always; PostgreSQL when
``INSTALL_SERVICE_TEST_POSTGRES_URL`` is set (run it under scripts/with-postgres.sh). Prints a
table and writes its section of bench/results.md. Not a test.

    PYTHONPATH=. .venv/bin/python bench/read_path.py [--seconds 5] [--connections 4]
        [--workers 1] [--backend sqlite --backend postgresql] [--env NAME=VALUE ...]
        [--no-results]

``--workers N`` serves our routes with ``install-service serve --workers N`` (PostgreSQL
only; the anchor stays one process, so the ratio shows what the extra processes buy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import database_url, goal, write_section
from tests.support.processes import ServiceProcess, free_port, run_cli, service_env

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme-bigcommerce.yaml"
RESULTS = Path(__file__).with_name("results.md")
GOALS = {"sqlite": 0.25, "postgresql": 0.4}
HELLO_APP = textwrap.dedent(
    """
    import sys, uvicorn
    from litestar import Litestar, get

    @get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(Litestar([hello, health]), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning", access_log=False)
    """
)


def wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> float:
    """Requests/s of ``GET url`` with ``connections`` keep-alive connections; non-2xx
    answers make it fail (a benchmark of 401s would measure nothing)."""
    if shutil.which("wrk") is None:
        return asyncio.run(httpx_load(url, headers, seconds, connections))
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


async def httpx_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        done, deadline = 0, time.monotonic() + seconds

        async def loop() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                answer = await client.get(url)
                answer.raise_for_status()
                done += 1

        start = time.monotonic()
        await asyncio.gather(*(loop() for _ in range(connections)))
        return done / (time.monotonic() - start)


def start_hello(directory: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    script = directory / "hello_app.py"
    script.write_text(HELLO_APP)
    proc = subprocess.Popen([sys.executable, str(script), str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the hello app did not start")


def start_service(
    db_url: str, directory: Path, workers: int, extra_env: dict[str, str] | None = None
) -> tuple[ServiceProcess, dict]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(directory / "var"),
            "INSTALL_SERVICE_DATABASE_URL": db_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_RATE_LIMIT_API": "1000000/minute",
            "INSTALL_SERVICE_RATE_LIMIT_USER": "1000000/minute",
            **(extra_env or {}),
        }
    )
    args = ["serve", "--port", str(port)] + (["--workers", str(workers)] if workers > 1 else [])
    server = ServiceProcess(args, env, url, directory / "service.log")
    return server.start(timeout_s=60), env


def seed(url: str, env: dict) -> tuple[dict[str, str], str]:
    """An ISV with the example catalogue and one user; returns (API headers, user id)."""
    isv = json.loads(run_cli(["isv", "create", "--name", "Bench", "--json"], env))
    run_cli(["catalog", "load", str(EXAMPLE), "--isv", isv["isvId"]], env)
    headers = {"Authorization": f"Bearer {isv['apiKey']}"}
    created = httpx.post(f"{url}/2024-03/users", json={"username": "reader"}, headers=headers)
    created.raise_for_status()
    return headers, created.json()["userId"]


def measure(backend: str, db_url: str, directory: Path, args: argparse.Namespace) -> dict:
    extra = dict(item.split("=", 1) for item in args.env)
    server, env = start_service(db_url, directory, args.workers, extra)
    try:
        headers, user_id = seed(server.url, env)
        base = f"{server.url}/2024-03"
        routes = {
            "GET /users/{id}/token": f"{base}/users/{user_id}/token",
            "GET /integrations?userId=": f"{base}/integrations?userId={user_id}",
            "GET /users/{id}": f"{base}/users/{user_id}",
            # What bounds the three: our middleware and DI with no query (an authenticated
            # route answering from memory), and the bare stack (no key, no rate limit).
            "GET /apps (no query)": f"{base}/apps",
            "GET /health (no key)": f"{server.url}/health",
        }
        sent = {name: {} if "no key" in name else headers for name in routes}
        for name, url in routes.items():  # warm up: caches, connection pool, JIT-less paths
            wrk(url, sent[name], 1, args.connections)
        return {
            name: wrk(url, sent[name], args.seconds, args.connections)
            for name, url in routes.items()
        }
    finally:
        server.stop()


async def _db_url(backend: str, directory: Path) -> str | None:
    return await database_url(backend, directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", action="append", choices=sorted(GOALS))
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--no-results", action="store_true", help="don't write results.md")
    parser.add_argument("--json", action="store_true", help="last line: the suite's JSON (P4)")
    parser.add_argument("--quick", action="store_true", help="2 s a route (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    keys = {"GET /users/{id}/token": "token", "GET /integrations?userId=": "integrations"}
    keys["GET /users/{id}"] = "user"
    keys |= {"GET /apps (no query)": "apps", "GET /health (no key)": "health"}
    figures: dict[str, dict[str, float]] = {}
    backends = args.backend or ["sqlite", "postgresql"]
    lines = [
        "# Read path (P4)",
        "",
        f"{os.cpu_count()} cores; {'wrk' if shutil.which('wrk') else 'httpx'} with "
        f"{args.connections} connections, {args.seconds:g} s a route; rate limits raised; "
        f"install-service serve with {args.workers} worker(s).",
        "",
        "| backend | route | req/s | anchor req/s | ratio | goal |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        directory = Path(tmp)
        hello, hello_url = start_hello(directory)
        try:
            wrk(hello_url + "/hello", {}, 1, args.connections)
            anchor = wrk(hello_url + "/hello", {}, args.seconds, args.connections)
        finally:
            hello.terminate()
            hello.wait(timeout=10)
        print(f"anchor: bare Litestar hello {anchor:,.0f} req/s", flush=True)
        for backend in backends:
            db_url = asyncio.run(_db_url(backend, directory / backend))
            if db_url is None:
                print(f"{backend}: skipped (no INSTALL_SERVICE_TEST_POSTGRES_URL)")
                continue
            (directory / backend).mkdir(exist_ok=True)
            figures[backend] = {"hello": anchor}
            for route, rate in measure(backend, db_url, directory / backend, args).items():
                figures[backend][keys[route]] = rate
                ratio = rate / anchor
                verdict = f"≥ {GOALS[backend]}×: {goal(ratio >= GOALS[backend])}"
                if "(" in route:  # a floor for context, not a goal
                    verdict = "context"
                row = (
                    f"| {backend} | {route} | {rate:,.0f} | {anchor:,.0f} | {ratio:.2f}× "
                    f"| {verdict} |"
                )
                print(row, flush=True)
                lines.append(row)
    if not args.no_results:
        write_section(RESULTS, "\n".join(lines))
    if args.json:  # the contract of bench/suite.py (P4): one JSON object, last line
        print(json.dumps(figures))


if __name__ == "__main__":
    main()

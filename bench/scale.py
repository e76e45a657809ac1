"""P6: ``GET /2024-03/integrations?userId=`` p50 on PostgreSQL at a small and a large volume
(installations / users / ISVs), and ``EXPLAIN (ANALYZE, BUFFERS)`` of the SQL that route
issues at the large one.

The ISVs and their catalogues are made through the CLI (so their API keys are real); the
end users, credentials, installations and installed workflows go straight into the tables
with ``INSERT ... SELECT generate_series`` (a million installations in about a minute with
fsync off). Both volumes are served at once and timed in turns, one request each, so
that other load on the machine weighs on both alike. The SQL is captured inside the server by a ``sitecustomize`` that logs every
statement (SQLAlchemy's ``before_cursor_execute``) while a flag file exists, around one
probe request; each logged SELECT is then EXPLAINed with its parameters inlined.

    PYTHONPATH=. scripts/with-postgres.sh .venv/bin/python bench/scale.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import database_url, pct, start_service
from tests.support.processes import REPO_ROOT, run_cli

ISVS, INTEGRATIONS = 10, 10  # per ISV; every user installs all of their ISV's integrations
WORKFLOW = """\
      - key: {key}
        name: {name}
        versions:
          - version: 1
            status: released
            blocks:
              - {{id: custom-event, type: customEvent, name: Custom Event, event: {event},
                 schema: {{orderId: String, status: String}}}}
              - {{id: stream-data, type: streamData, name: Stream Data,
                 config: {{url: "https://acme.example.com/hooks/{key}"}}}}
"""
# The rows one user's installations need (per ISV, the users get usernames u1..uN).
SEED = [
    """INSERT INTO end_user (id, isv_id, environment, username, created_at, updated_at)
       SELECT gen_random_uuid(), isv.id, 'development', 'u' || g, now(), now()
       FROM isv CROSS JOIN generate_series(1, {users}) AS g""",
    """INSERT INTO credential (id, isv_id, user_id, app, name, public_fields, key_id,
                               ciphertext, created_at, updated_at)
       SELECT gen_random_uuid(), u.isv_id, u.id, 'bigcommerce', 'BigCommerce',
              '{{"storeHash": "abc123"}}', 'bench', '\\x00', now(), now()
       FROM end_user u""",
    """INSERT INTO installation (id, isv_id, user_id, integration_id, credential_id,
                                 configuration, created_at, updated_at)
       SELECT gen_random_uuid(), c.isv_id, c.user_id, i.id, c.id, '{{}}', now(), now()
       FROM credential c JOIN integration i ON i.isv_id = c.isv_id""",
    """INSERT INTO installed_workflow (id, installation_id, workflow_id, version_id, version,
                                       active, created_at, updated_at)
       SELECT gen_random_uuid(), n.id, w.id, v.id, v.version, true, now(), now()
       FROM installation n JOIN workflow w ON w.integration_id = n.integration_id
       JOIN workflow_version v ON v.workflow_id = w.id AND v.user_id IS NULL""",
    "ANALYZE",
]
SQL_LOGGER = """\
import json, os, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

_FLAG, _LOG = os.environ["BENCH_SQL_FLAG"], os.environ["BENCH_SQL_LOG"]


@event.listens_for(Engine, "before_cursor_execute")
def _log(conn, cursor, statement, parameters, context, executemany):
    if os.path.exists(_FLAG):
        with open(_LOG, "a") as out:
            row = {"t": time.time(), "sql": statement, "params": parameters}
            out.write(json.dumps(row, default=str) + "\\n")
"""
ROUTE_TABLES = (
    "api_key",
    "end_user",
    "integration",
    "installation",
    "installed_workflow",
    "workflow",
)
BIG_TABLES = ("end_user", "credential", "installation", "installed_workflow")


def catalog_yaml() -> str:
    lines = ["integrations:"]
    for n in range(INTEGRATIONS):
        lines += [
            f"  - key: bench-{n}",
            "    app: bigcommerce",
            f"    name: Bench integration {n}",
            "    workflows:",
        ]
        for w in range(2):
            event = f"Bench Event {n}.{w}"
            lines.append(WORKFLOW.format(key=f"flow-{w}", name=f"Flow {n}.{w}", event=event))
    return "\n".join(lines) + "\n"


def create_isvs(env: dict, catalog: Path) -> list[dict]:
    isvs = []
    for n in range(ISVS):
        isv = json.loads(run_cli(["isv", "create", "--name", f"Scale {n}", "--json"], env))
        run_cli(["catalog", "load", str(catalog), "--isv", isv["isvId"]], env)
        isvs.append(isv)
    return isvs


async def seed(db_url: str, users_per_isv: int) -> tuple[float, dict[str, int]]:
    """Insert the rows; returns (seconds, {table: rows})."""
    import asyncpg

    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        began = time.monotonic()
        for statement in SEED:
            await conn.execute(statement.format(users=users_per_isv))
        elapsed = time.monotonic() - began
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in BIG_TABLES}
    finally:
        await conn.close()
    return elapsed, counts


async def sample_users(db_url: str, isvs: list[dict], count: int) -> list[tuple[str, str]]:
    """``count`` random (API key, user id) pairs across the ISVs."""
    import asyncpg

    keys = {isv["isvId"]: isv["apiKey"] for isv in isvs}
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            "SELECT isv_id::text, id::text FROM end_user ORDER BY random() LIMIT $1", count
        )
    finally:
        await conn.close()
    return [(keys[r[0]], r[1]) for r in rows]


def time_requests(volumes: list[dict], requests: int) -> list[list[float]]:
    """One client, one request at a time, taking turns between the ``volumes`` (so that
    whatever else loads the machine weighs on each alike): per volume, the latencies (s) of
    ``requests`` GETs after 50 of warm-up, each for a random (key, user) of its ``pairs``.
    Asserts every answer is 200 with all the ISV's integrations."""
    latencies: list[list[float]] = [[] for _ in volumes]
    with httpx.Client(timeout=30) as client:
        for n in range(50 + requests):
            for volume, out in zip(volumes, latencies, strict=True):
                key, user = random.choice(volume["pairs"])
                began = time.perf_counter()
                answer = client.get(
                    volume["url"] + "/2024-03/integrations",
                    params={"userId": user},
                    headers={"Authorization": f"Bearer {key}"},
                )
                elapsed = time.perf_counter() - began
                assert answer.status_code == 200, answer.text
                assert len(answer.json()["data"]) == INTEGRATIONS, answer.text
                if n >= 50:
                    out.append(elapsed)
    return latencies


def inline(sql: str, params) -> str:
    """``sql`` with its ``$n`` parameters (asyncpg's style) as SQL literals."""
    values = list(params or [])

    def literal(match: re.Match) -> str:
        value = values[int(match.group(1)) - 1]
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    return re.sub(r"\$(\d+)", literal, sql)


def logged(log: Path) -> list[dict]:
    """The statements the server's sitecustomize logged: [{t, sql, params}]."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def probe(url: str, key: str, user: str) -> None:
    answer = httpx.get(
        url + "/2024-03/integrations",
        params={"userId": user},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text


async def explain(db_url: str, rows: list[dict], since: float) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of each distinct route SELECT of ``rows`` after ``since``."""
    import asyncpg

    seen, plans = set(), []
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for row in rows:
            sql = row["sql"].strip()
            if row["t"] < since or not sql.upper().startswith("SELECT") or sql in seen:
                continue
            if "dbos" in sql or not any(f"FROM {t}" in sql for t in ROUTE_TABLES):
                continue
            seen.add(sql)
            text = inline(sql, row["params"])
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {text}")
            lines = [r[0] for r in plan]
            seq = sorted({t for t in BIG_TABLES for ln in lines if f"Seq Scan on {t} " in ln})
            plans.append({"sql": text, "plan": lines, "seq_scans_on_big_tables": seq})
    finally:
        await conn.close()
    return plans


async def open_volume(db_url: str, users_per_isv: int, workdir: Path) -> dict:
    """A server on a fresh database seeded with ``users_per_isv`` × ISVS users; the dict
    has its ``server``, ``url``, sample ``pairs``, SQL log ``flag`` and ``log``."""
    directory = workdir / f"users-{users_per_isv}"
    directory.mkdir(parents=True)
    catalog = directory / "catalog.yaml"
    catalog.write_text(catalog_yaml())
    patch = directory / "patch"
    patch.mkdir()
    (patch / "sitecustomize.py").write_text(SQL_LOGGER)
    flag, log = directory / "sql.on", directory / "sql.jsonl"
    extra = {
        "PYTHONPATH": f"{patch}:{REPO_ROOT}",
        "BENCH_SQL_FLAG": str(flag),
        "BENCH_SQL_LOG": str(log),
    }
    server, env = start_service(db_url, None, directory, extra_env=extra)
    try:
        isvs = create_isvs(env, catalog)
        seed_s, counts = await seed(db_url, users_per_isv)
        pairs = await sample_users(db_url, isvs, min(1000, users_per_isv * ISVS))
    except BaseException:
        server.stop()
        raise
    return {
        "server": server,
        "url": server.url,
        "db_url": db_url,
        "pairs": pairs,
        "flag": flag,
        "log": log,
        "users": users_per_isv * ISVS,
        "installations": counts["installation"],
        "installed_workflows": counts["installed_workflow"],
        "seed_s": seed_s,
    }


async def capture_plans(volume: dict) -> list[dict]:
    """The plans of the SQL one GET of the route issues on ``volume``'s server."""
    volume["flag"].touch()
    since = time.time()
    probe(volume["url"], *volume["pairs"][0])
    volume["flag"].unlink()
    return await explain(volume["db_url"], logged(volume["log"]), since)


async def measure(quick: bool, workdir: Path) -> dict | None:
    """Both volumes, timed in turns; None without a PostgreSQL cluster. Small: 1k
    installations (100 users); large: 1M (100k users), or 10k (1k users) with ``quick``."""
    small_url = await database_url("postgresql", workdir)
    if small_url is None:
        return None
    large_url = await database_url("postgresql", workdir)
    volumes = [await open_volume(small_url, 10, workdir)]
    try:
        volumes.append(await open_volume(large_url, 100 if quick else 10_000, workdir))
        timed = time_requests(volumes, 300 if quick else 1000)
        plans = await capture_plans(volumes[1])
    finally:
        for volume in volumes:
            volume["server"].stop()
    small, large = (
        {
            **{k: v[k] for k in ("users", "installations", "installed_workflows", "seed_s")},
            "requests": len(latencies),
            "p50_ms": pct(latencies, 50) * 1000,
            "p99_ms": pct(latencies, 99) * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000,
        }
        for v, latencies in zip(volumes, timed, strict=True)
    )
    large["plans"] = plans
    return {"small": small, "large": large, "ratio": large["p50_ms"] / small["p50_ms"]}


def explain_text(result: dict) -> str:
    """The large volume's plans as Markdown."""
    out = [f"EXPLAIN (ANALYZE, BUFFERS) at {result['large']['installations']:,} installations:"]
    for plan in result["large"]["plans"]:
        seq = plan["seq_scans_on_big_tables"]
        verdict = f"seq scan on {', '.join(seq)}" if seq else "no seq scan on a big table"
        out += ["", f"- {verdict}:", "", "```sql", plan["sql"], "```", "```"]
        out += [*plan["plan"], "```"]
    return "\n".join(out)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k installations, not 1M")
    parser.add_argument("--json", action="store_true", help="last stdout line: the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        result = await measure(args.quick, Path(tmp))
    if result is None:
        print("no INSTALL_SERVICE_TEST_POSTGRES_URL: run under scripts/with-postgres.sh")
    else:
        print(explain_text(result))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())

"""`make bench`: the P1-P8 table of issue 13, each figure beside its anchor from the same
run and its goal (goals are printed, never asserted), written with the date and core count
to its own section of bench/results.md.

    PYTHONPATH=. scripts/with-postgres.sh .venv/bin/python bench/suite.py [--quick] [--only P1,P3]

``BENCH_ONLY=P1,P3`` in the environment does what ``--only`` does. ``--quick`` is a smoke
run with small sizes (10k installations, 5k requests, fewer events); its table says so,
and the sub-benches' own sections of results.md are left alone. The suite starts and stops
its servers; PostgreSQL figures need ``INSTALL_SERVICE_TEST_POSTGRES_URL`` (with-postgres.sh).

Where each figure comes from:

- P1 bench/wire.py, P3 bench/install_webhook.py, P6 bench/scale.py, P8 bench/memory.py:
  imported and run in this process (their servers are subprocesses).
- P5 and P7 (event → app call): ``bench/run_event.py --backend postgresql --json``; P7
  (callback → Stream Data): ``bench/callback.py --backend postgresql --no-experiments --json``.
- P2 and P4: the subprocess contract below; a missing script shows as "not measured".

The contract for ``bench/modal_tti.py`` (P2) and ``bench/read_path.py`` (P4):

- Run as ``python bench/<x>.py --json`` (plus ``--quick`` in a quick run), from the
  repository root, with ``PYTHONPATH`` = the checkout and, when a cluster runs,
  ``INSTALL_SERVICE_TEST_POSTGRES_URL`` set; each starts and stops its own servers, raises
  the rate limits itself, and exits 0.
- The last line of stdout is one JSON object (anything before it is a log, echoed):
    - modal_tti.py: ``{"tti_ms": 524.0, "floor_ms": 308.0, "inner_ms": 140.0, "runs": 20}``:
      medians of ``Alloy.install()`` → first input visible (Playwright, from outside),
      of the same for a static HTML page in an iframe (the floor), and of navigation start
      → first input ready inside the modal's iframe (Performance API); ``inner_ms`` may be
      null.
    - read_path.py: ``{"sqlite": {"hello": 5100.0, "token": 1400.0, "integrations": 1300.0,
      "user": 1500.0, "apps": 2000.0, "health": 4000.0}, "postgresql": {...}}``: req/s per
      route at 4 connections, ``hello`` being a bare Litestar hello on the same server
      settings, ``apps`` and ``health`` floors for context (an authenticated route with no
      query, our stack with no key); a backend not measured is left out (or null).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import install_webhook, memory, scale, wire
from bench.support import write_section
from tests.support.databases import POSTGRES_URL_VAR

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.md"
ALL = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
HEADING = "# `make bench`: the suite (P1-P8)"
HEADER = "| # | figure | anchor in the same run | goal | verdict |\n|---|---|---|---|---|"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


class NotMeasured(Exception):
    """Why a figure has no value (shown in its row)."""


def run_json(script: str, args: list[str], timeout_s: float = 3600) -> dict:
    """Run ``bench/<script> args``; the JSON object on its last stdout line. Raises
    NotMeasured when the script is missing, fails or breaks the contract."""
    path = BENCH / script
    if not path.exists():
        raise NotMeasured(f"not measured (bench/{script} missing)")
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=BENCH.parent,
        env={**os.environ, "PYTHONPATH": str(BENCH.parent)},
    )
    print(done.stdout[-4000:], done.stderr[-2000:] if done.returncode else "", sep="\n")
    if done.returncode != 0:
        raise NotMeasured(f"not measured (bench/{script} exited {done.returncode})")
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise NotMeasured(f"not measured (bench/{script}: no JSON last line)") from error


def has_postgres() -> bool:
    return bool(os.environ.get(POSTGRES_URL_VAR))


def p1(ctx: dict) -> tuple[str, str, bool]:
    r = wire.measure(ctx["workdir"] / "p1")
    figure = (
        f"{r['wire_b']:,} B ({r['encoding']}; {r['decoded_b']:,} B decoded, "
        f"gzip -9 would be {r['gzip9_b']:,} B)"
    )
    return figure, f"{wire.ALLOY_GZIPPED_B:,} B", r["wire_b"] <= wire.ALLOY_GZIPPED_B


def p2(ctx: dict) -> tuple[str, str, bool]:
    r = run_json("modal_tti.py", ["--json", *ctx["quick_flag"]])
    ratio = r["tti_ms"] / r["floor_ms"]
    inner = r.get("inner_ms")
    own = inner if inner is not None else r["tti_ms"]
    figure = f"{r['tti_ms']:.0f} ms from outside ({ratio:.2f}× floor)" + (
        f"; {inner:.0f} ms inside the iframe" if inner is not None else ""
    )
    return figure, f"{r['floor_ms']:.0f} ms", own <= 150 and ratio <= 1.3


def p3(ctx: dict) -> tuple[str, str, bool]:
    installs = 20 if ctx["quick"] else 100
    rows, ok = [], True
    for backend in ("sqlite", "postgresql"):
        r = asyncio.run(install_webhook.measure(backend, installs, ctx["workdir"] / "p3"))
        if r is None:
            continue
        rows.append(
            f"{backend} {r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms (install answered "
            f"{r['answer_p50_ms']:.0f} / {r['answer_p99_ms']:.0f} ms; {r['installs']} installs)"
        )
        ok = ok and r["p50_ms"] <= 50 and r["p99_ms"] <= 500
    return "; ".join(rows), "—", ok


def p4(ctx: dict) -> tuple[str, str, bool]:
    r = run_json("read_path.py", ["--json", *ctx["quick_flag"]])
    parts, anchors, ok = [], [], True
    for backend, floor in (("sqlite", 0.25), ("postgresql", 0.4)):
        routes = r.get(backend)
        if not routes:
            continue
        hello = routes["hello"]
        ratios = {k: routes[k] / hello for k in ("token", "integrations", "user")}
        floors = {k: routes[k] / hello for k in ("apps", "health") if k in routes}
        cells = ", ".join(f"{k} {routes[k]:,.0f}/s ({q:.2f}×)" for k, q in ratios.items())
        if floors:  # what bounds them: our stack with no query, and with no key
            bounds = ", ".join(f"{k} {routes[k]:,.0f}/s ({q:.2f}×)" for k, q in floors.items())
            cells += f" [no-query floor: {bounds}]"
        parts.append(f"{backend}: {cells}")
        anchors.append(f"{backend} hello {hello:,.0f}/s")
        ok = ok and min(ratios.values()) >= floor
    if not parts:
        raise NotMeasured("not measured (read_path.py gave no backend)")
    return "; ".join(parts), "; ".join(anchors), ok


def event_bench(ctx: dict) -> dict:
    """run_event.py's result for PostgreSQL (SQLite without a cluster), run once for P5, P7."""
    if "run_event" not in ctx:
        backend = "postgresql" if has_postgres() else "sqlite"
        sizes = ["--events", "300", "--users", "10"] if ctx["quick"] else []
        args = ["--backend", backend, "--json", *ctx["out_flag"], *sizes, *ctx["run_event_args"]]
        ctx["run_event"] = run_json("run_event.py", args)["results"][0]
    return ctx["run_event"]


def p5(ctx: dict) -> tuple[str, str, bool]:
    r = event_bench(ctx)
    figure = (
        f"{r['backend']}: {r['accepted_s']:,.0f} events/s accepted, p99 {r['req_p99']:.0f} ms "
        f"({r['events']} events; executions completed {r['exec_s']:,.1f}/s)"
    )
    return figure, "—", r["accepted_s"] >= 2000 and r["req_p99"] <= 50


def p6(ctx: dict) -> tuple[str, str, bool]:
    if not has_postgres():
        raise NotMeasured("not measured (no PostgreSQL cluster)")
    r = asyncio.run(scale.measure(ctx["quick"], ctx["workdir"] / "p6"))
    small, large = r["small"], r["large"]
    ctx["explain"] = scale.explain_text(r)
    print(ctx["explain"])
    seq = sorted({t for plan in large["plans"] for t in plan["seq_scans_on_big_tables"]})
    figure = (
        f"{large['p50_ms']:.1f} ms at {large['installations']:,} installations / "
        f"{large['users']:,} users / {scale.ISVS} ISVs ({r['ratio']:.2f}×; seeded in "
        f"{large['seed_s']:.0f} s; {'seq scans on ' + ', '.join(seq) if seq else 'index scans'})"
    )
    anchor = f"{small['p50_ms']:.1f} ms at {small['installations']:,}"
    return figure, anchor, r["ratio"] <= 1.5


def p7(ctx: dict) -> tuple[str, str, bool]:
    event = event_bench(ctx)
    backend = "postgresql" if has_postgres() else "sqlite"
    sizes = ["--callbacks", "40", "--burst", "60", "--users", "5"] if ctx["quick"] else []
    args = ["--backend", backend, "--no-experiments", "--json", *ctx["out_flag"], *sizes]
    callback = run_json("callback.py", [*args, *ctx["callback_args"]])["results"][0]
    light = callback["light"][0]
    figure = (
        f"{backend}: event → app call {event['call_p50']:,.0f} ms; "
        f"callback → Stream Data {light['p50']:,.0f} ms"
    )
    return figure, "—", event["call_p50"] <= 100 and light["p50"] <= 100


def p8(ctx: dict) -> tuple[str, str, bool]:
    requests = 5000 if ctx["quick"] else 100_000
    workdir = ctx["workdir"] / "p8"
    workdir.mkdir()
    r = asyncio.run(memory.measure(requests, workdir))
    figure = (
        f"{r['rss_warm_mib']:.1f} → {r['rss_after_mib']:.1f} MiB ({r['growth']:+.1%}) after "
        f"{r['requests']:,} requests ({r['tool']}, {r['req_s']:,.0f}/s, {r['non_2xx']} non-2xx)"
    )
    return figure, "—", r["growth"] <= 0.10


FIGURES = {
    "P1": ("`embedded.js` on the wire, `Accept-Encoding: br, gzip`", "≤ 2,151 B", p1),
    "P2": ("modal time to interactive (median)", "≤ 150 ms and ≤ 1.3× floor", p2),
    "P3": ("installation commit → webhook received, p50 / p99", "≤ 50 / 500 ms", p3),
    "P4": ("token, integrations, GET user req/s (4 connections)", "≥ 0.25× SQLite, ≥ 0.4× PG", p4),
    "P5": ("`POST /run/event` events/s accepted and p99", "≥ 2,000/s, p99 ≤ 50 ms", p5),
    "P6": ("`GET /integrations?userId=` p50, PostgreSQL", "≤ 1.5× the 1k figure", p6),
    "P7": ("event → app call p50; callback → Stream Data p50", "≤ 100 ms", p7),
    "P8": ("RSS of one serve process (SQLite), warm → after N requests", "growth ≤ 10 %", p8),
}


def run(only: list[str], ctx: dict) -> list[str]:
    rows = []
    for key in only:
        name, goal, measure = FIGURES[key]
        print(f"== {key}: {name}", flush=True)
        try:
            figure, anchor, ok = measure(ctx)
            result = verdict(ok)
        except NotMeasured as why:
            figure, anchor, result = str(why), "—", "—"
        except Exception as error:  # one broken figure must not lose the others
            figure, anchor, result = f"not measured ({type(error).__name__}: {error})", "—", "—"
        row = f"| {key} | {name}: {figure} | {anchor} | {goal} | {result} |"
        print(row, flush=True)
        rows.append(row)
    return rows


def previous_section(path: Path, heading: str) -> list[str]:
    lines = path.read_text().splitlines() if path.exists() else []
    if heading not in lines:
        return []
    section = lines[lines.index(heading) + 1 :]
    ends = [n for n, line in enumerate(section) if line.startswith("# ")]
    return section[: ends[0]] if ends else section


def previous_rows(path: Path, heading: str) -> dict[str, str]:
    """{"P1": its table row} from the section ``heading`` of ``path``."""
    rows = [line for line in previous_section(path, heading) if line.startswith("| P")]
    return {row.split("|")[1].strip(): row for row in rows}


def previous_explain(path: Path, heading: str) -> list[str]:
    section = previous_section(path, heading)
    starts = [n for n, line in enumerate(section) if line.startswith("EXPLAIN")]
    return ["", *section[starts[0] :]] if starts else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="e.g. P1,P3")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--run-event-args", default="", help="more bench/run_event.py flags")
    parser.add_argument("--callback-args", default="", help="more bench/callback.py flags")
    args = parser.parse_args()
    only = [k.strip().upper() for k in args.only.split(",") if k.strip()] or ALL
    if unknown := set(only) - set(ALL):
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        workdir = Path(tmp)
        ctx = {
            "quick": args.quick,
            "quick_flag": ["--quick"] if args.quick else [],
            "workdir": workdir,
            # A quick run leaves the sub-benches' own sections of results.md alone.
            "out_flag": ["--out", str(workdir / "sub-results.md")] if args.quick else [],
            "run_event_args": shlex.split(args.run_event_args),
            "callback_args": shlex.split(args.callback_args),
        }
        rows = run(only, ctx)
    heading = HEADING + (", quick run" if args.quick else "")
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    if only != ALL:  # keep the rows (and EXPLAIN) of a previous run for the others
        kept = previous_rows(args.out, heading)
        rows = sorted([*rows, *(r for k, r in kept.items() if k not in only)])
        when = f"{', '.join(only)} measured {when}, the others earlier"
    mode = "quick run (smoke sizes, not the goals' sizes)" if args.quick else "full run"
    lines = [
        heading,
        "",
        f"{when}, {os.cpu_count()} cores, {mode}; PostgreSQL "
        f"{'on' if has_postgres() else 'not available'}. Goals are goals, not assertions.",
        "",
        HEADER,
        *rows,
    ]
    if "explain" in ctx:
        lines += ["", ctx["explain"]]
    elif only != ALL:
        lines += previous_explain(args.out, heading)
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(args.out, text)


if __name__ == "__main__":
    main()

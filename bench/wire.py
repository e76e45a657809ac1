"""P1: ``embedded.js`` as a browser gets it from a real ``install-service serve``: bytes on
the wire (the body as sent, before decoding) with ``Accept-Encoding: br, gzip``, and the
``Content-Encoding`` used; beside it the decoded size and what gzip -9 would make of it.

    PYTHONPATH=. .venv/bin/python bench/wire.py [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import start_service
from tests.support.databases import sqlite_url

ALLOY_GZIPPED_B = 2151  # alloy-frontend 2.1.1 src/index.js, gzip -9 (bench-anchors.md)
PATH = "/static/embedded.js"


def fetch(url: str) -> dict:
    """{wire_b, encoding, decoded_b, gzip9_b, status, cache_control, etag} of one GET."""
    headers = {"Accept-Encoding": "br, gzip"}
    with httpx.Client(base_url=url, timeout=30) as client:
        with client.stream("GET", PATH, headers=headers) as answer:
            raw = b"".join(answer.iter_raw())
            status, head = answer.status_code, answer.headers
        decoded = client.get(PATH, headers={"Accept-Encoding": "identity"}).content
    return {
        "status": status,
        "wire_b": len(raw),
        "encoding": head.get("content-encoding", "identity"),
        "decoded_b": len(decoded),
        "gzip9_b": len(gzip.compress(decoded, compresslevel=9)),
        "cache_control": head.get("cache-control"),
        "etag": head.get("etag"),
    }


def measure(workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    server, _ = start_service(sqlite_url(workdir), None, workdir)
    try:
        return fetch(server.url)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="last stdout line: the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as tmp:
        result = measure(Path(tmp))
    print(
        f"embedded.js: {result['wire_b']:,} B on the wire ({result['encoding']}), "
        f"{result['decoded_b']:,} B decoded, gzip -9 {result['gzip9_b']:,} B; "
        f"Alloy's SDK {ALLOY_GZIPPED_B:,} B gzipped"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()

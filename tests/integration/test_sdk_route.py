"""``/static/embedded.js`` on the wire: minified, precompressed (brotli, gzip), under Alloy's
2,151 bytes with ``Accept-Encoding: br, gzip``, cached by ETag and Cache-Control, and
reachable under its content hash. Brotli is decoded with Node's zlib (Node is a setup
requirement; no Python brotli package needed)."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess

from litestar.testing import AsyncTestClient

from install_service.sdk.bundle import SOURCE
from tests.support.processes import REPO_ROOT

ALLOY_GZIPPED_BYTES = 2151  # alloy-frontend 2.1.1 src/index.js, gzip -9 (bench-anchors.md)
BUILD = REPO_ROOT / "build" / "sdk"


def unbrotli(data: bytes) -> bytes:
    done = subprocess.run(
        [
            "node",
            "-e",
            "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))",
        ],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout


async def raw_get(client: AsyncTestClient, path: str, **headers: str) -> tuple[int, dict, bytes]:
    """Status, headers and the body as sent (not decoded)."""
    async with client.stream("GET", path, headers=headers) as answer:
        body = b"".join([chunk async for chunk in answer.aiter_raw()])
        return answer.status_code, answer.headers, body


async def test_the_sdk_is_under_alloys_size_in_every_coding_and_the_same_script(
    client: AsyncTestClient,
) -> None:
    status, br_headers, br = await raw_get(
        client, "/static/embedded.js", **{"accept-encoding": "br, gzip"}
    )
    assert status == 200
    assert br_headers["content-encoding"] == "br"
    assert len(br) <= ALLOY_GZIPPED_BYTES, len(br)
    _, gz_headers, gz = await raw_get(client, "/static/embedded.js", **{"accept-encoding": "gzip"})
    assert gz_headers["content-encoding"] == "gzip"
    _, plain_headers, plain = await raw_get(
        client, "/static/embedded.js", **{"accept-encoding": "identity"}
    )
    assert "content-encoding" not in plain_headers
    assert unbrotli(br) == gzip.decompress(gz) == plain
    assert len(plain) < len(SOURCE.read_bytes()) / 2  # minified, not the readable source
    assert plain_headers["content-type"].startswith("text/javascript")
    for headers in (br_headers, gz_headers, plain_headers):
        assert headers["vary"] == "Accept-Encoding"
    assert len({br_headers["etag"], gz_headers["etag"], plain_headers["etag"]}) == 3


async def test_a_refused_coding_is_not_sent(client: AsyncTestClient) -> None:
    _, headers, _ = await raw_get(
        client, "/static/embedded.js", **{"accept-encoding": "br;q=0, gzip"}
    )
    assert headers["content-encoding"] == "gzip"


async def test_etag_answers_304_and_cache_control_differs_by_url(client: AsyncTestClient) -> None:
    _, headers, script = await raw_get(client, "/static/embedded.js", **{"accept-encoding": "br"})
    assert headers["cache-control"] == "public, max-age=300"
    again = await client.get(
        "/static/embedded.js", headers={"if-none-match": headers["etag"], "accept-encoding": "br"}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == headers["etag"]
    stale = await client.get("/static/embedded.js", headers={"if-none-match": '"0123456789ab-br"'})
    assert stale.status_code == 200

    described = (await client.get("/sdk")).json()
    assert described["url"] == f"http://testserver.local/static/embedded.{described['hash']}.js"
    assert described["integrity"].startswith("sha384-")
    path = described["url"].removeprefix("http://testserver.local")
    _, versioned_headers, versioned = await raw_get(client, path, **{"accept-encoding": "br"})
    assert versioned == script
    assert versioned_headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned_headers["etag"] == headers["etag"]
    wrong = await client.get("/static/embedded.0123456789ab.js")
    assert wrong.status_code == 404


async def test_the_source_map_is_named_by_a_header_and_holds_the_readable_source(
    client: AsyncTestClient,
) -> None:
    script = await client.get("/static/embedded.js")
    assert script.headers["sourcemap"] == "/static/embedded.js.map"
    assert b"sourceMappingURL" not in script.content
    source_map = (await client.get(script.headers["sourcemap"])).json()
    assert source_map["sourcesContent"] == [SOURCE.read_text()]


def test_the_build_matches_the_readable_source() -> None:
    """``make setup`` rebuilt build/sdk after the last change to static/embedded.js."""
    manifest = json.loads((BUILD / "manifest.json").read_text())
    assert manifest["sourceSha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()

"""Content-coding negotiation and the stale-build check of ``install_service.sdk.bundle``."""

from __future__ import annotations

import json
from pathlib import Path

from install_service.sdk.bundle import SdkBundle, from_build, load_bundle

BUNDLE = SdkBundle(bodies={"identity": b"js", "br": b"b", "gzip": b"g"}, hash="abc")


def test_brotli_is_preferred_and_q0_refuses() -> None:
    assert BUNDLE.negotiate("gzip, deflate, br, zstd") == "br"
    assert BUNDLE.negotiate("br;q=0, gzip;q=0.5") == "gzip"
    assert BUNDLE.negotiate("*") == "br"
    assert BUNDLE.negotiate("deflate") == "identity"
    assert BUNDLE.negotiate("") == "identity"
    assert SdkBundle(bodies={"identity": b"js"}, hash="abc").negotiate("br, gzip") == "identity"


def test_a_build_of_another_source_is_not_used(tmp_path: Path) -> None:
    source = tmp_path / "embedded.js"
    source.write_text("window.Alloy = 1;")
    (tmp_path / "manifest.json").write_text(json.dumps({"hash": "x", "sourceSha256": "0" * 64}))
    assert from_build(tmp_path, source) is None
    assert from_build(tmp_path / "missing", source) is None


def test_without_a_build_the_readable_source_is_served(tmp_path: Path) -> None:
    bundle = load_bundle((tmp_path,))
    assert set(bundle.bodies) == {"identity"}
    assert bundle.source_map is None
    assert bundle.bodies["identity"].startswith(b"/**")

"""The built SDK (``build.mjs``'s output) in memory, with one representation per encoding.

A wheel carries the build as ``install_service/vendor/sdk`` (hatch_build.py); a checkout reads
``build/sdk`` (``make setup``). Without a build, or with one older than the readable source
(``static/embedded.js``, compared by SHA-256), the readable source is served as it is, with a
warning: correct, only bigger.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from install_service.settings import PROJECT_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SOURCE = PACKAGE_DIR / "static" / "embedded.js"
BUILD_DIRS = (PACKAGE_DIR / "vendor" / "sdk", PROJECT_ROOT / "build" / "sdk")
# Content codings we hold precompressed, in the order we prefer them (RFC 9110 §8.4.1).
ENCODINGS = ("br", "gzip")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SdkBundle:
    """``bodies`` maps a content coding (``"identity"``, ``"br"``, ``"gzip"``) to the bytes
    of the same script; ``hash`` (12 hex digits of the script's SHA-256) names the versioned
    URL; ``source_map`` is None for an unbuilt bundle."""

    bodies: dict[str, bytes]
    hash: str
    source_map: bytes | None = None
    integrity: str = field(default="")  # Subresource Integrity value, "sha384-<base64>"

    @property
    def versioned_path(self) -> str:
        return f"/static/embedded.{self.hash}.js"

    def etag(self, coding: str) -> str:
        """A strong entity tag per representation (RFC 9110 §8.8.3): hash plus coding."""
        return f'"{self.hash}-{coding}"'

    def negotiate(self, accept_encoding: str) -> str:
        """The coding to send for an ``Accept-Encoding`` value: ``br`` before ``gzip``, any
        listed without ``q=0``; else ``identity``."""
        accepted: set[str] = set()
        for item in accept_encoding.lower().split(","):
            name, *params = (part.strip() for part in item.split(";"))
            quality = 1.0
            for param in params:
                if param.startswith("q="):
                    try:
                        quality = float(param[2:])
                    except ValueError:
                        quality = 0.0
            if quality > 0:
                accepted.add(name)
        for coding in ENCODINGS:
            if coding in self.bodies and (coding in accepted or "*" in accepted):
                return coding
        return "identity"


def _sri(script: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(script).digest()).decode()


def from_source(source: Path = SOURCE) -> SdkBundle:
    script = source.read_bytes()
    digest = hashlib.sha256(script).hexdigest()[:12]
    return SdkBundle(bodies={"identity": script}, hash=digest, integrity=_sri(script))


def from_build(build: Path, source: Path = SOURCE) -> SdkBundle | None:
    """The bundle in ``build``, or None when it is missing or was built from another source."""
    try:
        manifest = json.loads((build / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("sourceSha256") != hashlib.sha256(source.read_bytes()).hexdigest():
        log.warning("%s was built from an older static/embedded.js: run `make setup`", build)
        return None
    script = (build / "embedded.min.js").read_bytes()
    bodies = {"identity": script}
    bodies["br"] = (build / "embedded.min.js.br").read_bytes()
    bodies["gzip"] = (build / "embedded.min.js.gz").read_bytes()
    return SdkBundle(
        bodies=bodies,
        hash=manifest["hash"],
        source_map=(build / "embedded.min.js.map").read_bytes(),
        integrity=_sri(script),
    )


def load_bundle(build_dirs: tuple[Path, ...] = BUILD_DIRS) -> SdkBundle:
    """The first current build in ``build_dirs``, else the readable source (with a warning)."""
    for build in build_dirs:
        bundle = from_build(build)
        if bundle is not None:
            return bundle
    log.warning("no current SDK build in %s: serving embedded.js unminified", build_dirs)
    return from_source()

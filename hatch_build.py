"""Wheel build hook: put htmx (from node_modules), the built SDK and the demo catalogue into
the package.

A checkout serves htmx from ``node_modules/htmx.org/dist`` (``npm ci``, never committed),
the SDK from ``build/sdk`` (``make setup``: esbuild's minified ``embedded.js``, its brotli
and gzip files and source map, never committed) and the demo loads
``examples/acme-bigcommerce.yaml``; an installed wheel has none of them, so the standard
wheel carries them as ``install_service/vendor/htmx/``, ``install_service/vendor/sdk/``
(built afresh here into ``build/sdk`` by ``node install_service/sdk/build.mjs``) and
``install_service/demo/acme-bigcommerce.yaml``. Editable installs read the checkout and
need none. Hook interface per hatchling's ``BuildHookInterface``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HTMX_DIST = "node_modules/htmx.org/dist"
DEMO_CATALOG = "examples/acme-bigcommerce.yaml"
SDK_BUILD_SCRIPT = "install_service/sdk/build.mjs"
ESBUILD = "node_modules/esbuild"
SDK_BUILD = "build/sdk"


class PackagedAssets(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Raises RuntimeError when node_modules has no htmx or esbuild (run ``npm ci``
        first) or the SDK build fails."""
        if version == "editable":
            return
        root = Path(self.root)
        if not (root / HTMX_DIST / "htmx.min.js").is_file():
            raise RuntimeError(
                f"{root / HTMX_DIST} is missing: run `npm ci` (or `make setup`) before "
                "building the wheel; htmx comes from npm, it is not committed"
            )
        if not (root / ESBUILD / "package.json").is_file():
            raise RuntimeError(
                f"{root / ESBUILD} is missing: run `npm ci` (or `make setup`) before building "
                "the wheel; the SDK is minified by esbuild from npm"
            )
        sdk = root / SDK_BUILD  # also the checkout's build, refreshed
        # Our own script, no outside input; node as found on PATH, as npm finds it.
        done = subprocess.run(  # noqa: S603
            ["node", str(root / SDK_BUILD_SCRIPT), str(sdk)],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the SDK build failed:\n{done.stdout}\n{done.stderr}")
        build_data["force_include"][str(sdk)] = "install_service/vendor/sdk"
        build_data["force_include"][str(root / HTMX_DIST)] = "install_service/vendor/htmx"
        build_data["force_include"][str(root / DEMO_CATALOG)] = (
            "install_service/demo/acme-bigcommerce.yaml"
        )

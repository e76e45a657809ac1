"""Wheel build hook: put htmx (from node_modules) and the demo catalogue into the package.

A checkout serves htmx from ``node_modules/htmx.org/dist`` (``npm ci``, never committed)
and the demo loads ``examples/acme-bigcommerce.yaml``; an installed wheel has neither, so
the standard wheel carries them as ``install_service/vendor/htmx/`` and
``install_service/demo/acme-bigcommerce.yaml``. Editable installs read the checkout and
need neither. Hook interface per hatchling's ``BuildHookInterface``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HTMX_DIST = "node_modules/htmx.org/dist"
DEMO_CATALOG = "examples/acme-bigcommerce.yaml"


class PackagedAssets(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Raises RuntimeError when node_modules has no htmx (run ``npm ci`` first)."""
        if version == "editable":
            return
        root = Path(self.root)
        if not (root / HTMX_DIST / "htmx.min.js").is_file():
            raise RuntimeError(
                f"{root / HTMX_DIST} is missing: run `npm ci` (or `make setup`) before "
                "building the wheel; htmx comes from npm, it is not committed"
            )
        build_data["force_include"][str(root / HTMX_DIST)] = "install_service/vendor/htmx"
        build_data["force_include"][str(root / DEMO_CATALOG)] = (
            "install_service/demo/acme-bigcommerce.yaml"
        )

"""Accessibility checks in the browser tests: axe-core (npm devDependency ``axe-core``,
installed by ``make setup``'s ``npm ci``) injected from node_modules into a Playwright
page, asserting no violation of its default rules (WCAG 2.x A/AA and best practices)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.support.processes import REPO_ROOT

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def no_axe_violations(page: Page) -> None:
    """Run axe on the whole document; fails naming each violated rule and its elements.

    The page's browser context needs ``bypass_csp=True`` (the dashboard's CSP refuses an
    injected script)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core missing at {AXE}: run npm ci")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`)"""
    )
    assert violations == [], f"{page.url}: " + "; ".join(violations)

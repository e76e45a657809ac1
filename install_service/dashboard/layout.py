"""Rendering a signed-in dashboard page in its layout (``dashboard/base.html``)."""

from __future__ import annotations

from typing import Any

from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from install_service.dashboard.dependencies import SignedIn
from install_service.isvs.services import ENVIRONMENTS


def is_fragment(request: HTMXRequest) -> bool:
    """An htmx request for part of a page (not a history restore, which needs it all)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def page(
    template: str, staff: SignedIn, nav: str, status_code: int = 200, **context: Any
) -> Template:
    """A dashboard page in the layout (``dashboard/base.html``): ``nav`` names the current
    nav link (``"integrations"``, ``"logs"``, ``"settings"``, ``"audit"``)."""
    return Template(
        template,
        context={"staff": staff, "nav": nav, "environments": ENVIRONMENTS, **context},
        status_code=status_code,
    )

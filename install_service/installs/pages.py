"""Security headers and error rendering shared by the install pages (modal and Alloy Link)."""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Response
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from install_service.errors import ServiceError


def page_headers(frame_ancestors: Iterable[str] | None) -> dict[str, str]:
    """Headers for a page that holds a user token in memory.

    ``frame_ancestors``: origins allowed to frame the page; ``None`` forbids framing
    (hosted pages), an empty list of a known ISV forbids it too.
    """
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return {
        "content-security-policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
        ),
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
    }


def error_page(request: HTMXRequest, exc: ServiceError) -> Response:
    """A readable error: the modal's error fragment for an HTMX request (``request.htmx``,
    from Litestar's ``HTMXPlugin``), a full page otherwise.

    Error pages may be framed by any origin: they carry nothing to click-jack, and a
    readable message inside the ISV's modal beats a blank frame.
    """
    return Template(
        "modal/_error.html" if request.htmx else "error.html",
        context={"status": exc.status_code, "message": exc.message, "code": exc.code},
        status_code=exc.status_code,
        headers=page_headers(["*"]),
    )

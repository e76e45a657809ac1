"""Security headers on every answer: API, pages, static files, errors and 404s alike.

An app-level ``before_send`` hook, so it also sees the answers Litestar gives before any
route matched (404, 405). A header the handler set itself is kept. Added:

- ``X-Content-Type-Options: nosniff``;
- ``Referrer-Policy: no-referrer``: the modal and hosted link pages carry a token in
  their URL, and no page here needs to send a Referer;
- without a ``Content-Security-Policy`` of the answer's own: ``X-Frame-Options: DENY``
  and ``Content-Security-Policy: frame-ancestors 'none'`` (the modal keeps its per-ISV
  ``frame-ancestors``, see ``installs.pages.page_headers``);
- under the API prefixes: ``Cache-Control: no-store`` (user tokens, install links,
  credentials and webhook secrets must not sit in a cache);
- under the page prefixes (the dashboard): ``Cache-Control: no-store``, never framed
  (``X-Frame-Options: DENY``, ``frame-ancestors 'none'``) and a same-origin-only CSP,
  whatever the handler set (error pages and 404s included).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

ALWAYS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
NOT_FRAMED = {"x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'"}
API = {"cache-control": "no-store"}
PAGES = API | {
    "x-frame-options": "DENY",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
}


def security_headers(
    api_prefixes: Iterable[str], pages: Iterable[str] = ()
) -> Callable[[Message, Scope], Awaitable[None]]:
    """The ``before_send`` hook; ``api_prefixes``: paths of the API (e.g. ``/2023-12/``);
    ``pages``: paths of signed-in pages (e.g. ``/dashboard``)."""
    prefixes = tuple(api_prefixes)
    page_prefixes = tuple(pages)

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        wanted = dict(ALWAYS)
        if "content-security-policy" not in headers:
            wanted |= NOT_FRAMED
        if scope["path"].startswith(prefixes):
            wanted |= API
        for name, value in wanted.items():
            if name not in headers:
                headers[name] = value
        if page_prefixes and _under(scope["path"], page_prefixes):
            for name, value in PAGES.items():
                headers[name] = value

    return add_security_headers


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)

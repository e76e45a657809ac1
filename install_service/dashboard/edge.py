"""What the ``/dashboard`` router (``controllers.dashboard_router``) is built with: its
stores, CSRF configuration and error pages. Its middleware stays off every other route (the API, the modal and the link pages keep
their own auth and are never asked for a CSRF token or a session).

- Sessions: ``dashboard.sessions`` (server-side, in the database; cookie on /dashboard).
- CSRF: Litestar's ``CSRFMiddleware`` (double submit: cookie ``dashboard_csrf`` on
  /dashboard plus the ``_csrf_token`` form field or the ``X-CSRFToken`` header that the
  layout gives every HTMX request). Its HMAC secret is derived from the newest link key
  (``INSTALL_SERVICE_LINK_KEYS``), so every server process agrees; rotating that key
  makes open dashboard forms fail once (403: reload).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template
from litestar.stores.base import Store
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.dashboard.dependencies import SignInRequired, sign_in_url
from install_service.dashboard.sessions import STORE_NAME, DatabaseStore
from install_service.errors import ServiceError
from install_service.security.keys import KeyRing
from install_service.settings import Settings

CSRF_COOKIE = "dashboard_csrf"
CSRF_HEADER = "x-csrftoken"


def dashboard_stores(session_maker: async_sessionmaker[AsyncSession]) -> dict[str, Store]:
    """The app's stores the dashboard needs: its sessions, in the database."""
    return {STORE_NAME: DatabaseStore(session_maker)}


def csrf_config(settings: Settings, keys: KeyRing) -> CSRFConfig:
    secret = hmac.new(keys.link_keys[0], b"install-service dashboard csrf v1", hashlib.sha256)
    return CSRFConfig(
        secret=secret.hexdigest(),
        cookie_name=CSRF_COOKIE,
        cookie_path="/dashboard",
        header_name=CSRF_HEADER,
        cookie_secure=settings.public_url.startswith("https://"),
        cookie_httponly=True,  # the token reaches forms and htmx through the page itself
        cookie_samesite="lax",
    )


def to_sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    """303 to the sign-in page (``next`` = where the GET was going); for an HTMX request,
    ``HX-Redirect`` so the whole page goes there, not a fragment."""
    url = sign_in_url(exc.next_path)
    if request.headers.get("hx-request") == "true":
        return ClientRedirect(url)
    return Redirect(url, status_code=303)


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Template:
    signed_in = bool(request.scope.get("session") and request.scope["session"].get("staff_id"))
    return Template(
        "dashboard/error.html",
        context={"status": status, "message": message, "signed_in": signed_in},
        status_code=status,
    )


def service_error_page(request: Request[Any, Any, Any], exc: ServiceError) -> Template:
    message = (
        "That page does not exist, or belongs to another account."
        if exc.status_code == 404
        else exc.message
    )
    return _error_page(request, exc.status_code, message)


def http_error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Template:
    if isinstance(exc, PermissionDeniedException):
        return _error_page(
            request,
            403,
            "This form expired or came from another site, so nothing was changed. "
            "Go back, reload the page and try again.",
        )
    status = exc.status_code
    message = exc.detail if status < 500 else "Something went wrong on our side."
    return _error_page(request, status, message)

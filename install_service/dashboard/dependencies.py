"""Who is signed in to the dashboard: the guard every dashboard page stands behind.

A session (``dashboard.sessions``) holds ``staff_id``, ``isv_id``, ``email``,
``environment`` and ``signed_in_at`` (ISO 8601). ``provide_staff`` turns it into a
``SignedIn`` through the request's own database session, and refuses a session whose
account was deleted, moved or had its password reset since (``SignInRequired``: a 303 to
the sign-in page, or ``HX-Redirect`` for an HTMX request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import Isv, StaffAccount
from install_service.db.models.tenants import DEVELOPMENT
from install_service.isvs.services import ENVIRONMENTS, IsvContext
from install_service.staff.services import signed_in_account

HOME = "/dashboard"
SIGN_IN = "/dashboard/sign-in"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in staff account, its ISV, and the environment chosen in the layout's
    switch (``"development"`` or ``"production"``: whose end users the pages show)."""

    account: StaffAccount
    environment: str

    @property
    def isv(self) -> Isv:
        return self.account.isv

    @property
    def isv_context(self) -> IsvContext:
        """What the API services take: the ISV and the environment, as an API key gives them."""
        return IsvContext(isv=self.account.isv, environment=self.environment)


class SignInRequired(Exception):
    """No (valid) session; ``next_path`` is where to come back to after signing in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(raw: str | None) -> str:
    """``raw`` when it is a path of this site under /dashboard (``/dashboard/audit?cursor=x``),
    else ``/dashboard``: never another host (``//evil.example``, ``https://...``, ``/\\evil``)."""
    if (
        not raw
        or not raw.startswith(HOME)
        or raw.startswith("//")
        or "\\" in raw
        or any(ord(c) < 0x20 for c in raw)
        or (len(raw) > len(HOME) and raw[len(HOME)] not in "/?")
        or raw.startswith(SIGN_IN)
    ):
        return HOME
    return raw


def sign_in_url(next_path: str) -> str:
    """The sign-in page that comes back to ``next_path`` (omitted when it is the home)."""
    next_path = safe_next(next_path)
    return SIGN_IN if next_path == HOME else f"{SIGN_IN}?{urlencode({'next': next_path})}"


def requested_path(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Where a GET was going (path and query); the home for any other method."""
    if connection.scope.get("method") != "GET":
        return HOME
    query = connection.scope.get("query_string", b"").decode("latin-1")
    return connection.url.path + (f"?{query}" if query else "")


def require_session(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a session that names a staff account (checked in full by ``provide_staff``).

    Raises:
        SignInRequired: no session.
    """
    if not connection.scope.get("session", {}).get("staff_id"):
        raise SignInRequired(requested_path(connection))


async def provide_staff(request: Request[Any, Any, Any], db_session: AsyncSession) -> SignedIn:
    """The signed-in staff account (one SELECT by primary key, with its ISV).

    Raises:
        SignInRequired: no session, or one whose account is gone, moved to another ISV, or
            had its password reset after the session began (the session is cleared).
    """
    data = request.session or {}
    try:
        signed_in_at = datetime.fromisoformat(data.get("signed_in_at", ""))
    except (TypeError, ValueError):
        signed_in_at = None
    account = await signed_in_account(
        db_session, data.get("staff_id"), data.get("isv_id"), signed_in_at
    )
    if account is None:
        request.clear_session()
        raise SignInRequired(requested_path(request))
    environment = data.get("environment")
    return SignedIn(account, environment if environment in ENVIRONMENTS else DEVELOPMENT)

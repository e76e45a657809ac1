"""Dashboard sessions: Litestar's server-side session middleware on a ``Store`` in our
database (table ``dashboard_session``).

Why the database and not a signed cookie: signing out (or a password reset, or deleting
the account) must end a session everywhere, and every server process must see that at
once; a cookie cannot be taken back, a row can. The cookie holds only a random session id
(32 bytes, hex); the table keeps its SHA-256, so a copy of the table opens no session.

Writes are kept rare, as SQLite has one writer: a session is written when it changes
(sign-in, environment switch), its expiry renewed at most once a minute (12 h idle
expiry, ``IDLE_EXPIRY``), and a signed-out visitor writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.db.models import DashboardSession
from install_service.db.transactions import write_transaction

IDLE_EXPIRY = timedelta(hours=12)
RENEW_EVERY = timedelta(minutes=1)  # an expiry is moved at most this often
COOKIE_NAME = "dashboard_session"
STORE_NAME = "dashboard_sessions"
_LOADED_STATE_KEY = "dashboard_session_loaded"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _seconds(value: int | timedelta | None) -> timedelta | None:
    if value is None:
        return None
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class DatabaseStore(Store):
    """A Litestar ``Store`` on the ``dashboard_session`` table; each call is its own short
    transaction on a session of ``session_maker`` (never the request's)."""

    __slots__ = ("_session_maker",)

    def __init__(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self._session_maker = session_maker

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        """Store ``value`` under ``key`` for ``expires_in`` (default: ``IDLE_EXPIRY``); expired
        sessions of anyone are removed in the same transaction."""
        data = value.encode() if isinstance(value, str) else value
        now = datetime.now(UTC)
        expires_at = now + (_seconds(expires_in) or IDLE_EXPIRY)
        async with self._session_maker() as session, write_transaction(session):
            await session.execute(
                delete(DashboardSession).where(DashboardSession.expires_at <= now)
            )
            row = await session.scalar(
                select(DashboardSession).where(DashboardSession.key_digest == _digest(key))
            )
            if row is None:
                session.add(
                    DashboardSession(key_digest=_digest(key), data=data, expires_at=expires_at)
                )
            else:
                row.data, row.expires_at = data, expires_at

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The live value under ``key`` (None when absent or expired); with ``renew_for``, its
        expiry moves to now + ``renew_for`` when that is ``RENEW_EVERY`` or more ahead."""
        now = datetime.now(UTC)
        async with self._session_maker() as session:
            row = await session.scalar(
                select(DashboardSession).where(
                    DashboardSession.key_digest == _digest(key), DashboardSession.expires_at > now
                )
            )
            if row is None:
                return None
            data = row.data
            renewed_at = now + renew if (renew := _seconds(renew_for)) else None
            if renewed_at and renewed_at - row.expires_at >= RENEW_EVERY:
                async with write_transaction(session):
                    await session.execute(
                        update(DashboardSession)
                        .where(DashboardSession.id == row.id)
                        .values(expires_at=renewed_at)
                    )
            return data

    async def delete(self, key: str) -> None:
        async with self._session_maker() as session, write_transaction(session):
            await session.execute(
                delete(DashboardSession).where(DashboardSession.key_digest == _digest(key))
            )

    async def delete_all(self) -> None:
        async with self._session_maker() as session, write_transaction(session):
            await session.execute(delete(DashboardSession))

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._session_maker() as session:
            expires_at = await session.scalar(
                select(DashboardSession.expires_at).where(
                    DashboardSession.key_digest == _digest(key)
                )
            )
        if expires_at is None:
            return None
        return max(0, int((expires_at - datetime.now(UTC)).total_seconds()))


class DashboardSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend, writing only what changed: an unchanged session is
    not stored again (its ``get`` renewed it), and a visitor with no session sets nothing."""

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        loaded = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})[_LOADED_STATE_KEY] = dict(loaded)
        return loaded

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        loaded = connection.scope.get("state", {}).get(_LOADED_STATE_KEY)
        cookie = connection.cookies.get(self.config.key)
        had_cookie = bool(cookie) and cookie != "null"
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        if scope_session is Empty or not scope_session:
            if cookie:  # signed out, or an expired session: delete the row, drop the cookie
                if had_cookie:
                    await self.delete(cookie, store)
                headers.add("Set-Cookie", self._cookie("", max_age=0, expires=0))
            return
        if had_cookie and loaded == scope_session:
            return
        session_id = cookie if had_cookie else ""
        if not loaded or loaded.get("signed_in_at") != scope_session.get("signed_in_at"):
            # A sign-in gets a fresh id, never one the browser brought (session fixation).
            if had_cookie:
                await self.delete(session_id, store)
            session_id = self.generate_session_id()
        await self.set(session_id, self.serialize_data(scope_session, connection.scope), store)
        headers.add("Set-Cookie", self._cookie(session_id))

    def _cookie(self, value: str, **overrides: Any) -> str:
        """The session cookie's header value: without ``Max-Age`` unless given (a
        browser-session cookie; the 12 h idle expiry is the row's)."""
        params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        params.pop("max_age", None)
        cookie = Cookie(key=self.config.key, value=value, **(params | overrides))
        return cookie.to_header(header="")


@dataclass
class DashboardSessionConfig(ServerSideSessionConfig):
    """``ServerSideSessionConfig`` with ``DashboardSessionBackend``."""

    _backend_class = DashboardSessionBackend  # type: ignore[assignment]


def session_config(secure: bool) -> DashboardSessionConfig:
    """The dashboard's session middleware: cookie ``dashboard_session`` on ``/dashboard``,
    HttpOnly, SameSite=Lax, Secure when ``secure`` (a https PUBLIC_URL), 12 h idle expiry
    renewed on activity, in the app's store ``dashboard_sessions`` (a ``DatabaseStore``)."""
    return DashboardSessionConfig(
        key=COOKIE_NAME,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=int(IDLE_EXPIRY.total_seconds()),
        renew_on_access=True,
        store=STORE_NAME,
    )

"""The ISV's staff: dashboard accounts, their server-side sessions, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from install_service.db.models.tenants import Isv


class StaffAccount(UUIDv7AuditBase):
    """A person of an ISV who signs in to the dashboard; ``email`` is unique across ISVs
    (stored lower-cased), so signing in needs no ISV.

    ``password_hash`` is an argon2id PHC string (``$argon2id$v=19$...``). A session signed
    in before ``sessions_valid_after`` is refused (a password reset signs out everywhere).
    """

    __tablename__ = "staff_account"

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    sessions_valid_after: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    isv: Mapped[Isv] = relationship(lazy="joined")


class DashboardSession(UUIDv7AuditBase):
    """One dashboard session as Litestar's session middleware stores it (a ``Store`` entry).

    Only the SHA-256 of the session id (the cookie's value) is kept, so a copy of this
    table opens no session. ``data`` is the session as JSON bytes; gone after ``expires_at``.
    """

    __tablename__ = "dashboard_session"

    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)


class AuditEntry(UUIDv7AuditBase):
    """One change made in the dashboard: who (``actor_id``, ``actor_email`` kept after the
    account is deleted), what (``action``, e.g. ``"environment.switch"``, on ``target_type``
    / ``target_id``), the ids before and after (JSON), and when (``created_at``)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_isv_created", "isv_id", "created_at", "id"),)

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"))
    actor_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL"), default=None, index=True
    )
    actor_email: Mapped[str] = mapped_column(String(320))
    environment: Mapped[str | None] = mapped_column(String(20), default=None)
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    before_ids: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)
    after_ids: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)

"""Install links (Alloy Link): an emailed URL that installs one integration for one user."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column


class InstallLink(UUIDv7AuditBase):
    """One link; the signed token in its URL carries only ``id``.

    Usable while ``completed_at`` and ``revoked_at`` are empty and ``expires_at`` is ahead.
    Opening it (GET) changes nothing; ``first_opened_at`` is set on Continue.
    """

    __tablename__ = "install_link"

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("end_user.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[UUID] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    redirect_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    first_opened_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

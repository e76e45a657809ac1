"""Tenants: the ISV, its API keys, and its end users."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

DEVELOPMENT = "development"


class Isv(UUIDv7AuditBase):
    """A software vendor embedding the service (the tenant)."""

    __tablename__ = "isv"

    name: Mapped[str] = mapped_column(String(200))
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Where workflow.failed webhooks go; None: to webhook_url.
    error_webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    webhook_secret: Mapped[str] = mapped_column(String(100))  # "whsec_<base64>"
    previous_webhook_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_webhook_secret_expires_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )

    origin_rows: Mapped[list[IsvAllowedOrigin]] = relationship(
        order_by="IsvAllowedOrigin.position",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def allowed_origins(self) -> list[str]:
        """The frontends (``scheme://host[:port]``, normalised) that may embed the modal and
        call the end-user API, in the order they were given."""
        return [row.origin for row in self.origin_rows]

    @allowed_origins.setter
    def allowed_origins(self, origins: Iterable[str]) -> None:
        """Replace the list; rows of origins kept stay (so no unique (isv_id, origin) clash)."""
        kept = {row.origin: row for row in self.origin_rows}
        rows = [kept.get(o) or IsvAllowedOrigin(origin=o) for o in dict.fromkeys(origins)]
        for position, row in enumerate(rows):
            row.position = position
        self.origin_rows = rows


class IsvAllowedOrigin(UUIDv7AuditBase):
    """One of an ISV's allowed origins; matched by equality (``origin`` is indexed)."""

    __tablename__ = "isv_allowed_origin"
    __table_args__ = (UniqueConstraint("isv_id", "origin"),)

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(500), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ApiKey(UUIDv7AuditBase):
    """An ISV API key; only its SHA-256 digest is stored."""

    __tablename__ = "api_key"

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))  # e.g. "isk_dev_AbC1"
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    isv: Mapped[Isv] = relationship(lazy="joined")


class EndUser(UUIDv7AuditBase):
    """One of the ISV's customers; ``username`` is unique per ISV and environment."""

    __tablename__ = "end_user"
    __table_args__ = (
        UniqueConstraint("isv_id", "environment", "username"),
        Index(
            "ix_end_user_isv_env_created", "isv_id", "environment", "created_at", "id"
        ),  # GET /users
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    username: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(255), default=None)

"""Tenants: the ISV, its API keys, and its end users."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

DEVELOPMENT = "development"


class Isv(UUIDv7AuditBase):
    """A software vendor embedding the service (the tenant)."""

    __tablename__ = "isv"

    name: Mapped[str] = mapped_column(String(200))
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Where workflow.failed webhooks go; None: to webhook_url.
    error_webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    webhook_secret: Mapped[str] = mapped_column(String(100))  # "whsec_<base64>"
    previous_webhook_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_webhook_secret_expires_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )


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
    __table_args__ = (UniqueConstraint("isv_id", "environment", "username"),)

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    username: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(255), default=None)

"""Data-encryption keys for stored credentials, wrapped by the configured root key.

A rotation (``install-service keys rotate-credential-key``) adds a ``DataKey``; every
process of the service loads the table (``keys.refresh``) and opens ciphertexts sealed by
any key it holds. ``state`` moves ``staged`` (opens, never seals: every process learns the
key before anything is sealed with it) → ``active`` (seals new credentials) →
``previous`` (opens only, until no row uses it) → deleted by ``keys retire``.
"""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

STAGED = "staged"
ACTIVE = "active"
PREVIOUS = "previous"


class DataKey(UUIDv7AuditBase):
    """One AES-256 data key: ``kid`` (the fingerprint stored beside each ciphertext),
    ``wrapped`` (nonce + AES-GCM ciphertext of the 32 key bytes, under the root key whose
    kid is ``wrapped_by``), ``state`` and when it became ``active``."""

    __tablename__ = "data_key"

    kid: Mapped[str] = mapped_column(String(32), unique=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_by: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20), default=STAGED)
    activated_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

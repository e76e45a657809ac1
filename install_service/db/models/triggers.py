"""App triggers: the webhook subscriptions we hold in end users' apps, and the callbacks
they already delivered (for BigCommerce's redeliveries).

A subscription is one per installation and app scope (e.g. ``store/order/created``), however
many of the installation's workflows use it. Its row is the durable intent: staged in the
transaction that installs or uninstalls, then carried out by a DBOS workflow
(``triggers.sync``) that registers or deletes the hook in the app:

- ``pending``: to register (or re-register); ``active``: registered, ``hook_id`` set;
- ``deleting``: to delete from the app, then the row goes; ``failed``: registering gave up
  after its retries (``last_error`` says why; reconciling tries again).

``sealed`` holds, encrypted like credentials (AES-GCM, bound to the subscription's id), the
random secret the app sends back in a header on each callback, and, once registered, the
credential values the hook was made with (``credential_id``), so the hook can be deleted even
after the end user and their credential are gone; a new credential registers afresh. ``installation_id`` and ``user_id`` become NULL then.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from install_service.db.models.tenants import DEVELOPMENT

PENDING = "pending"
ACTIVE = "active"
DELETING = "deleting"
FAILED = "failed"
RECEIPT_TTL = timedelta(days=7)  # BigCommerce redelivers a callback for up to about 2 days


class HookSubscription(UUIDv7AuditBase):
    __tablename__ = "hook_subscription"
    __table_args__ = (
        UniqueConstraint("installation_id", "scope"),
        Index("ix_hook_subscription_status", "status"),  # sync: the pending and deleting ones
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("end_user.id", ondelete="SET NULL"), default=None, index=True
    )
    installation_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("installation.id", ondelete="SET NULL"), default=None
    )
    app: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # one DBOS sync per change
    hook_id: Mapped[str | None] = mapped_column(String(100), default=None)
    credential_id: Mapped[UUID | None] = mapped_column(default=None)  # the hook was made with
    key_id: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)


class HookReceipt(UUIDv7AuditBase):
    """A callback a subscription accepted, by the app's delivery hash; kept 7 days."""

    __tablename__ = "hook_receipt"
    __table_args__ = (UniqueConstraint("subscription_id", "dedupe_key"),)

    subscription_id: Mapped[UUID] = mapped_column(
        ForeignKey("hook_subscription.id", ondelete="CASCADE")
    )
    dedupe_key: Mapped[str] = mapped_column(String(200))

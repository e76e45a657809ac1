"""What the runtime did: one row per execution of an installed workflow, and the
idempotency receipts of accepted events.

An execution's id is also its DBOS workflow id, so the API's ``executionId`` finds both
our record (what the API shows) and DBOS's (the durable inputs, outputs and steps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from install_service.db.models.tenants import DEVELOPMENT

QUEUED = "queued"
RUNNING = "running"
SUCCESS = "success"
FAILED = "failed"
FILTERED = "filtered"
FINISHED = frozenset({SUCCESS, FAILED, FILTERED})


class Execution(UUIDv7AuditBase):
    """One run of one end user's installed workflow.

    ``trigger`` is the event's ``data`` (or the app record) that started it; ``blocks`` the
    result of each block so far: ``[{"blockId", "name", "type", "status", "startedAt",
    "stoppedAt", "output", "error"}]`` (outputs size-capped). A failed execution names its
    block in ``error_block`` and says why in ``error_message`` (never a secret).
    """

    __tablename__ = "execution"
    __table_args__ = (
        Index("ix_execution_workflow_user_created", "workflow_id", "user_id", "created_at"),
        Index("ix_execution_isv_env_created", "isv_id", "environment", "created_at"),
        Index("ix_execution_status_created", "status", "created_at"),  # recovery of queued runs
        Index("ix_execution_created_at", "created_at"),  # retention
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("end_user.id", ondelete="CASCADE"), index=True)
    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflow.id", ondelete="CASCADE"))
    installed_workflow_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("installed_workflow.id", ondelete="SET NULL"), default=None, index=True
    )
    version_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("workflow_version.id", ondelete="SET NULL"), default=None, index=True
    )
    event: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    app_actions: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    error_block: Mapped[str | None] = mapped_column(String(200), default=None)
    error_message: Mapped[str | None] = mapped_column(String(2000), default=None)
    rerun_of: Mapped[UUID | None] = mapped_column(default=None)


class EventReceipt(UUIDv7AuditBase):
    """An accepted event's idempotency key (``Idempotency-Key`` header or ``eventId``) and
    the executions it started; the same key within 24 hours answers these again."""

    __tablename__ = "event_receipt"
    __table_args__ = (
        UniqueConstraint("isv_id", "environment", "key"),
        Index("ix_event_receipt_created_at", "created_at"),  # retention
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(20), default=DEVELOPMENT)
    key: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("end_user.id", ondelete="CASCADE"), index=True)
    execution_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

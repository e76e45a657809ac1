"""What an ISV offers: integrations around one app, their workflows and versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

DRAFT = "draft"
RELEASED = "released"


class Integration(UUIDv7AuditBase):
    """A set of workflows an ISV built around one app (connector)."""

    __tablename__ = "integration"
    __table_args__ = (UniqueConstraint("isv_id", "key"),)

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))  # stable key from the catalogue YAML
    app: Mapped[str] = mapped_column(String(50))  # connector key, e.g. "bigcommerce"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")

    workflows: Mapped[list[Workflow]] = relationship(
        back_populates="integration", order_by="Workflow.position", lazy="selectin"
    )


class Workflow(UUIDv7AuditBase):
    """A workflow template: a trigger block and action blocks, in numbered versions."""

    __tablename__ = "workflow"
    __table_args__ = (UniqueConstraint("integration_id", "key"),)

    integration_id: Mapped[UUID] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)

    integration: Mapped[Integration] = relationship(back_populates="workflows")
    # The ISV-wide versions only: a user-specific version (one per end user, so up to one
    # per installation) is never loaded with its workflow. ``catalog.services.load_own_versions``
    # adds one user's own to this list where that user is being served.
    versions: Mapped[list[WorkflowVersion]] = relationship(
        primaryjoin="and_(Workflow.id == WorkflowVersion.workflow_id,"
        " WorkflowVersion.user_id.is_(None))",
        order_by="WorkflowVersion.version",
        lazy="selectin",
    )
    # Every version, user-specific ones too: never loaded unless a query asks, filtered with
    # ``.and_()`` to the versions open to one user (``catalog.services.list_integrations``).
    every_version: Mapped[list[WorkflowVersion]] = relationship(
        order_by="WorkflowVersion.version", viewonly=True, lazy="raise"
    )

    def latest_released(self) -> WorkflowVersion | None:
        """The newest released, ISV-wide (not user-specific) version."""
        released = [v for v in self.versions if v.status == RELEASED and v.user_id is None]
        return released[-1] if released else None

    def next_version_number(self) -> int:
        """The number a new version takes: after every version, user-specific ones included
        (``highest_version`` as loaded, and versions added to ``versions`` since)."""
        # Not loaded for a workflow inserted by this session, which has no other versions.
        highest = self.__dict__.get("highest_version")  # mapped below
        return max([highest or 0, *(v.version for v in self.versions)]) + 1


class WorkflowVersion(UUIDv7AuditBase):
    """One numbered version of a workflow; ``blocks`` is a list of block dicts."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflow.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # [{"id", "name", "type", "app"?, "event"?, "action"?, "icon"?, "config"?}]
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"name", "label", "type": "string"|"url"|"select", "required", "help", "options"?}]
    configurable_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    released_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # Set for a user-specific version made through the Installation Manager.
    user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("end_user.id", ondelete="CASCADE"), default=None, index=True
    )


# The highest number of any version of a workflow, user-specific ones included (numbers are
# unique per workflow): read with the workflow through the (workflow_id, version) unique
# index, instead of loading every version.
Workflow.highest_version = column_property(  # type: ignore[attr-defined]
    select(func.max(WorkflowVersion.version))
    .where(WorkflowVersion.workflow_id == Workflow.id)
    .correlate_except(WorkflowVersion)
    .scalar_subquery(),
    expire_on_flush=False,
)

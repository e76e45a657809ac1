"""What an end user installed: credentials, installations and per-user workflow copies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from install_service.db.models.catalog import Integration, Workflow, WorkflowVersion


class Credential(UUIDv7AuditBase):
    """An end user's credential for one app.

    Non-secret fields (``public_fields``) are stored as they are; secret fields are sealed
    together with AES-256-GCM (see ``security.credential_crypto``) into ``ciphertext``.
    """

    __tablename__ = "credential"

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("end_user.id", ondelete="CASCADE"), index=True)
    app: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    public_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    key_id: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class Installation(UUIDv7AuditBase):
    """One end user's installation of one integration."""

    __tablename__ = "installation"
    __table_args__ = (
        UniqueConstraint("user_id", "integration_id"),
        # The Installation Manager's keyset pages of one integration's installations.
        Index("ix_installation_integration_created", "integration_id", "created_at", "id"),
    )

    isv_id: Mapped[UUID] = mapped_column(ForeignKey("isv.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("end_user.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[UUID] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[UUID] = mapped_column(ForeignKey("credential.id"), index=True)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    integration: Mapped[Integration] = relationship(lazy="joined")
    workflows: Mapped[list[InstalledWorkflow]] = relationship(
        back_populates="installation", lazy="selectin", cascade="all, delete-orphan"
    )


class InstalledWorkflow(UUIDv7AuditBase):
    """The end user's copy (child workflow) of one workflow, pinned to a version."""

    __tablename__ = "installed_workflow"
    __table_args__ = (UniqueConstraint("installation_id", "workflow_id"),)

    installation_id: Mapped[UUID] = mapped_column(
        ForeignKey("installation.id", ondelete="CASCADE"), index=True
    )
    workflow_id: Mapped[UUID] = mapped_column(
        ForeignKey("workflow.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[UUID] = mapped_column(ForeignKey("workflow_version.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    installation: Mapped[Installation] = relationship(back_populates="workflows")
    workflow: Mapped[Workflow] = relationship(lazy="joined")
    workflow_version: Mapped[WorkflowVersion] = relationship(lazy="joined")

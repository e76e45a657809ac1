"""Shapes of the workflows, versions and Installation Manager APIs (Alloy API reference)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from install_service.catalog.schemas import ConfigurableField, WorkflowListing

# ---- one end user's view of a workflow (Alloy Quick Start, "Listing Integrations") ------


class WorkflowList(msgspec.Struct):
    data: list[WorkflowListing]


class UserWorkflow(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Body of ``PUT /workflows/activate`` and ``/deactivate``; ``userId`` is required with an
    API key and left out with a user token (end-user API)."""

    workflow_id: str
    user_id: str | None = None


# ---- versions ----------------------------------------------------------------------------


class NewVersion(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Body of ``POST /workflows/{workflowId}/versions``: the draft's content."""

    blocks: list[dict[str, Any]]
    configurable_fields: list[ConfigurableField] = []


class VersionEdit(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Body of ``PATCH /workflows/{workflowId}/versions/{versionId}``; absent keys stay."""

    blocks: list[dict[str, Any]] | None = None
    configurable_fields: list[ConfigurableField] | None = None


class CreatedVersion(msgspec.Struct, rename="camel"):
    version_id: str
    version: int


class VersionSummary(msgspec.Struct, rename="camel"):
    version_id: str
    version: int
    status: str  # draft | released
    released_at: datetime | None
    user_specific: bool


class VersionDetail(VersionSummary, rename="camel"):
    """One version with its content, as an edit leaves it."""

    blocks: list[dict[str, Any]]
    configurable_fields: list[dict[str, Any]]


class ReleasedVersion(VersionSummary, rename="camel"):
    """A release's outcome. For a user-specific version ``waitingForUpdate`` says its user
    still runs the old version until ``Alloy.update`` collects ``changes`` from them."""

    waiting_for_update: bool = False
    changes: list[str] = []


class VersionList(msgspec.Struct, rename="camel"):
    """One page of versions; ``nextCursor`` is null on the last page."""

    data: list[VersionSummary]
    next_cursor: str | None = None


# ---- Installation Manager -------------------------------------------------------------------


class InstalledWorkflowSummary(msgspec.Struct, rename="camel"):
    workflow_id: str
    version_id: str
    version: int
    user_specific: bool


class InstallationSummary(msgspec.Struct, rename="camel"):
    installation_id: str
    user_id: str
    username: str
    workflows: list[InstalledWorkflowSummary]
    created_at: datetime


class InstallationList(msgspec.Struct, rename="camel"):
    """One page of installations; ``nextCursor`` is null on the last page."""

    data: list[InstallationSummary]
    next_cursor: str | None = None

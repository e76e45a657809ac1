"""Shapes of the catalogue: the YAML an ISV loads, and the integration listing the API returns."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

# ---- one end user's view of a workflow (Alloy Quick Start, "Listing Integrations") ------


class Block(msgspec.Struct):
    name: str
    id: str
    type: str
    icon: str  # absolute URL


class WorkflowListing(msgspec.Struct, rename="camel"):
    workflow_id: str
    name: str
    installed: bool
    version: int | None  # newest released version this user may run (None: nothing released)
    installed_version: int | None  # the version this user runs (None: not installed)
    active: bool
    blocks: list[Block]
    integration_id: str


class ConfigurableField(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A value the end user gives when installing, e.g. a default order status."""

    name: str
    label: str
    type: Literal["string", "url", "select"] = "string"
    required: bool = True
    help: str = ""
    options: list[str] = []


# ---- catalogue YAML (install-service catalog load) ------------------------------------


Status = Literal["draft", "released"]


class VersionSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """One entry of the older ``versions:`` list form of a workflow."""

    version: int
    status: Status = "released"
    blocks: list[dict[str, Any]] = []
    configurable_fields: list[ConfigurableField] = []


class WorkflowSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A workflow as the ISV wants it now: ``blocks``, ``configurableFields`` and ``status``
    (``released`` unless ``status: draft``). The service numbers the versions: loading
    different content publishes the next version. ``versions:`` (explicit numbered entries)
    is the older form, still read; a workflow uses one form or the other."""

    key: str
    name: str
    blocks: list[dict[str, Any]] | None = None
    configurable_fields: list[ConfigurableField] = []
    status: Status = "released"
    versions: list[VersionSpec] = []

    def definitions(self) -> list[VersionSpec]:
        """The content to load, oldest first (one entry in the current form)."""
        if self.blocks is None:
            return sorted(self.versions, key=lambda v: v.version)
        return [VersionSpec(0, self.status, self.blocks, self.configurable_fields)]


class IntegrationSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    key: str
    app: str
    name: str
    workflows: list[WorkflowSpec]
    description: str = ""


class CatalogFile(msgspec.Struct, forbid_unknown_fields=True):
    integrations: list[IntegrationSpec]


# ---- API responses (Alloy Quick Start, "Listing Integrations") ---------------------------


class IntegrationListing(msgspec.Struct, rename="camel"):
    integration_id: str
    app: str
    name: str
    installed: bool
    icon: str
    workflows: list[WorkflowListing]


class IntegrationList(msgspec.Struct):
    data: list[IntegrationListing]

"""Shapes of the catalogue: the YAML an ISV loads, and the integration listing the API returns."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

# ---- catalogue YAML (install-service catalog load) ------------------------------------


class ConfigurableFieldSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A value the end user gives when installing, e.g. a default order status."""

    name: str
    label: str
    type: Literal["string", "url", "select"] = "string"
    required: bool = True
    help: str = ""
    options: list[str] = []


class VersionSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    version: int
    status: Literal["draft", "released"] = "released"
    blocks: list[dict[str, Any]] = []
    configurable_fields: list[ConfigurableFieldSpec] = []


class WorkflowSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    key: str
    name: str
    versions: list[VersionSpec]


class IntegrationSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    key: str
    app: str
    name: str
    workflows: list[WorkflowSpec]
    description: str = ""


class CatalogFile(msgspec.Struct, forbid_unknown_fields=True):
    integrations: list[IntegrationSpec]


# ---- API responses (Alloy Quick Start, "Listing Integrations") ---------------------------


class Block(msgspec.Struct):
    name: str
    id: str
    type: str
    icon: str


class WorkflowListing(msgspec.Struct, rename="camel"):
    workflow_id: str
    name: str
    installed: bool
    version: int | None  # newest released version
    installed_version: int | None
    active: bool
    blocks: list[Block]


class IntegrationListing(msgspec.Struct, rename="camel"):
    integration_id: str
    app: str
    name: str
    installed: bool
    icon: str
    workflows: list[WorkflowListing]


class IntegrationList(msgspec.Struct):
    data: list[IntegrationListing]

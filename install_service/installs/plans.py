"""What finishing an install would do (the plan) and what the end user must enter.

Read-only: the use cases in ``installs.services`` act on a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.connectors import App, validate_values
from install_service.catalog.services import app_for, installation_for, load_own_versions
from install_service.catalog.versions import newest_released
from install_service.db.models import (
    EndUser,
    Installation,
    Integration,
    Isv,
    WorkflowVersion,
)
from install_service.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class PlannedWorkflow:
    workflow_id: str
    name: str
    version: WorkflowVersion
    from_version: int | None = None  # the version the user runs now (update mode)


@dataclass(frozen=True, slots=True)
class InstallPlan:
    """What finishing the install would create, and what the end user must enter."""

    isv: Isv
    user: EndUser
    integration: Integration
    app: App
    workflows: tuple[PlannedWorkflow, ...]
    configurable_fields: tuple[dict[str, Any], ...]  # the ones the end user is asked for
    existing: Installation | None
    ask_credentials: bool = True  # False: an update that keeps the installation's credential
    update: bool = False  # moving installed workflows to newer versions (``Alloy.update``)

    @property
    def workflow_ids(self) -> list[str]:
        return [w.workflow_id for w in self.workflows]


@dataclass(frozen=True, slots=True)
class InstallResult:
    installation: Installation
    workflow_ids: list[str]
    created: bool  # False when a concurrent identical request had already installed it


@dataclass(slots=True)
class FormErrors(Exception):
    """Field-level problems to show inline: {field name: message}, plus a form-wide one."""

    fields: dict[str, str] = field(default_factory=dict)
    summary: str = ""


async def plan_install(
    session: AsyncSession,
    *,
    user: EndUser,
    integration: Integration,
    workflow_ids: list[str] | None = None,
) -> InstallPlan:
    """The workflows to install (all of the integration's, or the given subset), each at
    its newest released version for this user (a released user-specific version from the
    Installation Manager counts).

    Raises:
        NotFound: a workflow id is not part of the integration.
        InvalidInput: nothing released to install yet.
    """
    await load_own_versions(session, integration.workflows, user.id)
    wanted = integration.workflows
    if workflow_ids:
        by_id = {str(w.id): w for w in integration.workflows}
        missing = [w for w in workflow_ids if w not in by_id]
        if missing:
            raise NotFound("Workflow not found", code=error_codes.WORKFLOW_NOT_FOUND)
        wanted = [by_id[w] for w in workflow_ids]
    planned = tuple(
        PlannedWorkflow(str(w.id), w.name, latest)
        for w in wanted
        if (latest := newest_released(w.versions, user.id)) is not None
    )
    if not planned:
        raise InvalidInput(
            f"{integration.name} has no released workflow to install yet",
            code=error_codes.NOTHING_RELEASED,
        )
    seen: dict[str, dict[str, Any]] = {}
    for item in planned:
        for spec in item.version.configurable_fields:
            seen.setdefault(spec["name"], spec)
    isv = await session.get(Isv, integration.isv_id)
    return InstallPlan(
        isv=isv,
        user=user,
        integration=integration,
        app=app_for(integration),
        workflows=planned,
        configurable_fields=tuple(seen.values()),
        existing=await installation_for(session, user, integration),
    )


def check_form(plan: InstallPlan, form: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Split and validate submitted values into (credential values, configuration).

    Raises:
        FormErrors: a required value is empty or a value has the wrong form.
    """
    credentials = {
        f.name: (form.get(f.name) or "").strip() for f in plan.app.fields if plan.ask_credentials
    }
    errors = validate_values(plan.app, credentials) if plan.ask_credentials else {}
    configuration: dict[str, str] = {}
    for spec in plan.configurable_fields:
        name, value = spec["name"], (form.get(f"config.{spec['name']}") or "").strip()
        key = f"config.{name}"
        if not value and spec.get("required", True):
            errors[key] = f"Enter {spec['label'].lower()}"
        elif (
            value and spec.get("type") == "url" and urlsplit(value).scheme not in {"http", "https"}
        ):
            errors[key] = "Enter a full URL starting with https://"
        elif value and spec.get("type") == "select" and value not in spec.get("options", []):
            errors[key] = "Choose one of the listed options"
        configuration[name] = value
    if errors:
        raise FormErrors(errors, "Check the highlighted fields.")
    return credentials, configuration

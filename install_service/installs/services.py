"""Installing an integration for an end user: the rules behind the modal and Alloy Link.

The install itself is one transaction: the credential, the installation with its
per-user workflow copies, and the webhook outbox row commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from install_service.catalog.connectors import App, validate_values
from install_service.catalog.services import app_for, installation_for
from install_service.credentials.services import build_credential
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Integration,
    Isv,
    WorkflowVersion,
)
from install_service.errors import InvalidInput, NotFound, ServiceError
from install_service.security.credential_crypto import CredentialCipher
from install_service.webhooks.outbox import INSTALLATION_COMPLETED, enqueue
from install_service.workflows.versions import newest_released


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
    wanted = integration.workflows
    if workflow_ids:
        by_id = {str(w.id): w for w in integration.workflows}
        missing = [w for w in workflow_ids if w not in by_id]
        if missing:
            raise NotFound("Workflow not found", code="workflow_not_found")
        wanted = [by_id[w] for w in workflow_ids]
    planned = tuple(
        PlannedWorkflow(str(w.id), w.name, latest)
        for w in wanted
        if (latest := newest_released(w.versions, user.id)) is not None
    )
    if not planned:
        raise InvalidInput(
            f"{integration.name} has no released workflow to install yet", code="nothing_released"
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


async def install(
    session: AsyncSession,
    plan: InstallPlan,
    credentials: Mapping[str, str],
    configuration: Mapping[str, str],
    cipher: CredentialCipher,
    *,
    before_commit: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> InstallResult:
    """Store the credential, the installation (or its update) and the webhook outbox row in
    one transaction, and commit it. A concurrent duplicate gets the winner's installation
    back with ``created=False`` and sends no second webhook. An update plan that asks no
    credentials keeps the installation's credential; ``configuration`` is merged over the
    installation's.

    ``before_commit`` runs last inside the transaction (Alloy Link claims its link there);
    whatever it raises rolls everything back and propagates."""
    installation = plan.existing
    if installation is not None and not plan.ask_credentials:
        credential_id = installation.credential_id
    else:
        credential = build_credential(plan.isv.id, plan.user, plan.app, credentials, cipher)
        session.add(credential)
        credential_id = credential.id
    if installation is None:
        installation = Installation(
            id=uuid7(),
            isv_id=plan.isv.id,
            user_id=plan.user.id,
            integration_id=plan.integration.id,
            credential_id=credential_id,
            configuration=dict(configuration),
            workflows=[],
        )
        session.add(installation)
    else:
        installation.credential_id = credential_id
        installation.configuration = {**installation.configuration, **configuration}
    current = {w.workflow_id: w for w in installation.workflows}
    for item in plan.workflows:
        copy = current.get(item.version.workflow_id)
        if copy is None:
            installation.workflows.append(
                InstalledWorkflow(
                    workflow_id=item.version.workflow_id,
                    version_id=item.version.id,
                    version=item.version.version,
                )
            )
        else:
            copy.version_id, copy.version, copy.active = item.version.id, item.version.version, True
    enqueue(
        session,
        plan.isv,
        INSTALLATION_COMPLETED,
        {
            "userId": str(plan.user.id),
            "workflowIds": plan.workflow_ids,
            "integrationId": str(plan.integration.id),
            "credentials": {plan.app.key: str(credential_id)},
            "success": True,
        },
    )
    try:
        if before_commit is not None:
            await before_commit(session)
        await session.commit()
    except ServiceError:
        await session.rollback()
        raise
    except IntegrityError:
        await session.rollback()
        if before_commit is not None:
            # The winner may have claimed what this attempt claims (an Alloy Link's link,
            # in its installation's transaction): then this one is refused, not a success.
            try:
                await before_commit(session)
            finally:
                await session.rollback()
        # A rollback expires every loaded object; reload the ones callers render (their
        # attributes would otherwise lazy-load outside the async context: MissingGreenlet).
        for loaded in (plan.isv, plan.user, plan.integration):
            await session.refresh(loaded)
        winner = await session.scalar(
            select(Installation).where(
                Installation.user_id == plan.user.id,
                Installation.integration_id == plan.integration.id,
            )
        )
        if winner is None:
            raise
        return InstallResult(winner, plan.workflow_ids, created=False)
    return InstallResult(installation, plan.workflow_ids, created=True)

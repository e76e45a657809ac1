"""``install-service catalog load``: integrations and workflows from a YAML file.

Loading is idempotent: integrations and workflows are matched by their ``key``, versions
by number. A released version is immutable: loading different blocks or fields under a
released number is refused (publish the change as the next number instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import msgspec
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.catalog.connectors import load_apps
from install_service.catalog.schemas import CatalogFile, IntegrationSpec, VersionSpec
from install_service.db.models import Integration, Workflow, WorkflowVersion
from install_service.db.models.catalog import RELEASED
from install_service.errors import InvalidInput


@dataclass(slots=True)
class LoadReport:
    """What a load changed: ids of integrations touched and counts of new rows."""

    integration_ids: dict[str, str] = field(default_factory=dict)  # key -> integrationId
    workflows_created: int = 0
    versions_created: int = 0


def parse_catalog(text: str, source: str = "<catalog>") -> CatalogFile:
    """Parse and validate catalogue YAML.

    Raises:
        InvalidInput: not YAML, a field missing or unknown, or an app we have no connector for.
    """
    try:
        raw = yaml.safe_load(text)
        catalog = msgspec.convert(raw, CatalogFile)
    except (yaml.YAMLError, msgspec.ValidationError) as exc:
        raise InvalidInput(f"{source}: {exc}") from exc
    apps = load_apps()
    for spec in catalog.integrations:
        if spec.app not in apps:
            known = ", ".join(sorted(apps))
            raise InvalidInput(f"{source}: integration {spec.key!r} uses unknown app {spec.app!r} (known: {known})")
        for workflow in spec.workflows:
            numbers = [v.version for v in workflow.versions]
            if len(numbers) != len(set(numbers)) or any(n < 1 for n in numbers):
                raise InvalidInput(f"{source}: workflow {workflow.key!r} has duplicate or invalid version numbers")
    return catalog


async def load_catalog_file(session: AsyncSession, path: Path, isv_id: UUID) -> LoadReport:
    """Parse ``path`` and load it for the ISV (flushes; the caller commits)."""
    return await load_catalog(session, parse_catalog(path.read_text(), str(path)), isv_id)


async def load_catalog(session: AsyncSession, catalog: CatalogFile, isv_id: UUID) -> LoadReport:
    report = LoadReport()
    for spec in catalog.integrations:
        integration = await _upsert_integration(session, spec, isv_id)
        report.integration_ids[spec.key] = str(integration.id)
        existing = {w.key: w for w in integration.workflows}
        for position, wf_spec in enumerate(spec.workflows):
            workflow = existing.get(wf_spec.key)
            if workflow is None:
                workflow = Workflow(integration_id=integration.id, key=wf_spec.key, versions=[])
                session.add(workflow)
                report.workflows_created += 1
            workflow.name, workflow.position = wf_spec.name, position
            await session.flush()
            known = {v.version: v for v in workflow.versions if v.user_id is None}
            for v_spec in wf_spec.versions:
                if _upsert_version(session, workflow, known.get(v_spec.version), v_spec, spec.key):
                    report.versions_created += 1
    await session.flush()
    return report


async def _upsert_integration(session: AsyncSession, spec: IntegrationSpec, isv_id: UUID) -> Integration:
    integration = await session.scalar(
        select(Integration).where(Integration.isv_id == isv_id, Integration.key == spec.key)
    )
    if integration is None:
        integration = Integration(isv_id=isv_id, key=spec.key, app=spec.app, name=spec.name, workflows=[])
        session.add(integration)
    integration.app, integration.name, integration.description = spec.app, spec.name, spec.description
    await session.flush()
    return integration


def _upsert_version(
    session: AsyncSession,
    workflow: Workflow,
    current: WorkflowVersion | None,
    spec: VersionSpec,
    integration_key: str,
) -> bool:
    """Returns True when a new version row was created."""
    fields = msgspec.to_builtins(spec.configurable_fields)
    if current is not None and current.status == RELEASED:
        if current.blocks != spec.blocks or current.configurable_fields != fields:
            raise InvalidInput(
                f"{integration_key}/{workflow.key} version {spec.version} is released and cannot "
                f"change; publish it as version {max(v.version for v in workflow.versions) + 1}"
            )
        return False
    now = datetime.now(UTC)
    if current is None:
        current = WorkflowVersion(workflow_id=workflow.id, version=spec.version)
        workflow.versions.append(current)
        session.add(current)
    current.blocks, current.configurable_fields, current.status = spec.blocks, fields, spec.status
    current.released_at = now if spec.status == RELEASED else None
    return current.id is None or current in session.new

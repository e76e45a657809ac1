"""``install-service catalog load``: integrations and workflows from a YAML file.

Loading is idempotent: integrations and workflows are matched by their ``key``. Each workflow
gives its blocks and configurable fields (and ``status: draft`` to hold them back); the
service numbers the versions. Loading a workflow whose blocks or configurable fields differ
from its newest version publishes the next version: released (users see it as ``version``
and keep their ``installedVersion`` until upgraded) or, with ``status: draft``, a draft to
release later through the API. Loading unchanged content adds nothing; loading content equal
to the newest draft without ``status: draft`` releases that draft. Released versions never
change. In the older ``versions:`` form each numbered entry is checked the same way, and an
entry equal to the stored version of its number counts as unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import anyio
import msgspec
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.catalog.app_actions import app_action_names
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.app_triggers import app_trigger_names
from install_service.catalog.schemas import CatalogFile, IntegrationSpec, VersionSpec
from install_service.catalog.versions import newest_released
from install_service.db.models import Integration, Workflow, WorkflowVersion
from install_service.db.models.catalog import RELEASED
from install_service.db.transactions import write_transaction
from install_service.errors import InvalidInput
from install_service.grammar.block_specs import check_blocks
from install_service.isvs.services import get_isv


@dataclass(slots=True)
class LoadReport:
    """What a load changed: ids of integrations touched and counts of new rows."""

    integration_ids: dict[str, str] = field(default_factory=dict)  # key -> integrationId
    workflows_created: int = 0
    versions_created: int = 0


def parse_catalog(text: str, source: str = "<catalog>") -> CatalogFile:
    """Parse and validate catalogue YAML.

    Raises:
        InvalidInput: not YAML, a field missing or unknown, an app we have no connector
            for, or a workflow whose blocks break the block grammar (``grammar.block_specs``;
            the message lists every problem).
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
            raise InvalidInput(
                f"{source}: integration {spec.key!r} uses unknown app {spec.app!r} (known: {known})"
            )
        for workflow in spec.workflows:
            if (workflow.blocks is None) == (not workflow.versions):
                raise InvalidInput(
                    f"{source}: workflow {workflow.key!r} needs either blocks or versions, not both"
                )
            numbers = [v.version for v in workflow.versions]
            if len(numbers) != len(set(numbers)) or any(n < 1 for n in numbers):
                raise InvalidInput(
                    f"{source}: workflow {workflow.key!r} has duplicate or invalid version numbers"
                )
            for definition in workflow.definitions():
                if problems := check_blocks(
                    definition.blocks,
                    app_actions=app_action_names(),
                    app_triggers=app_trigger_names(),
                ):
                    where = f"workflow {workflow.key!r}" + (
                        f" version {definition.version}" if definition.version else ""
                    )
                    raise InvalidInput(
                        f"{source}: integration {spec.key!r} {where}: " + "; ".join(problems)
                    )
    return catalog


async def load_catalog_file(session: AsyncSession, path: Path, isv_ref: UUID | str) -> LoadReport:
    """Parse ``path`` and load it for the ISV ``isv_ref`` in one transaction.

    Raises:
        CatalogError: the file is not a valid catalogue (nothing is loaded).
        NotFound: no such ISV.
    """
    text = await anyio.Path(path).read_text()
    catalog = parse_catalog(text, str(path))
    async with write_transaction(session):
        isv = await get_isv(session, str(isv_ref))
        return await load_catalog(session, catalog, isv.id)


async def load_catalog(session: AsyncSession, catalog: CatalogFile, isv_id: UUID) -> LoadReport:
    """Create or update the ISV's integrations and workflows; publish changed workflows as
    new versions (see the module docstring), in the caller's transaction (flushes)."""
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
            for definition in wf_spec.definitions():
                if _publish(session, workflow, definition):
                    report.versions_created += 1
    await session.flush()
    return report


async def _upsert_integration(
    session: AsyncSession, spec: IntegrationSpec, isv_id: UUID
) -> Integration:
    integration = await session.scalar(
        select(Integration).where(Integration.isv_id == isv_id, Integration.key == spec.key)
    )
    if integration is None:
        integration = Integration(
            isv_id=isv_id, key=spec.key, app=spec.app, name=spec.name, workflows=[]
        )
        session.add(integration)
    integration.app, integration.name, integration.description = (
        spec.app,
        spec.name,
        spec.description,
    )
    await session.flush()
    return integration


def _publish(session: AsyncSession, workflow: Workflow, spec: VersionSpec) -> bool:
    """Add ``spec`` as the workflow's next version unless it is already there; returns True
    when a version row was created. Content already there as a draft is released when
    ``spec`` is released."""
    fields = msgspec.to_builtins(spec.configurable_fields)
    shared = [v for v in workflow.versions if v.user_id is None]
    candidates = [v for v in shared if v.version == spec.version]  # older numbered form
    if shared:
        candidates.append(max(shared, key=lambda v: v.version))
    if released := newest_released(shared):
        candidates.append(released)
    same = next(
        (v for v in candidates if v.blocks == spec.blocks and v.configurable_fields == fields), None
    )
    if same is not None:
        if spec.status == RELEASED and same.status != RELEASED:
            same.status, same.released_at = RELEASED, datetime.now(UTC)
        return False
    version = WorkflowVersion(
        workflow_id=workflow.id,
        version=workflow.next_version_number(),
        status=spec.status,
        blocks=spec.blocks,
        configurable_fields=fields,
        released_at=datetime.now(UTC) if spec.status == RELEASED else None,
    )
    workflow.versions.append(version)
    session.add(version)
    return True

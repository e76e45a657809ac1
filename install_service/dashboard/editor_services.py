"""The workflow editor of the Installation Manager (Alloy's guide): one installation's
user gets their own version of a workflow, edited block by block as a draft and released
for that user only.

The drafts are the API's (``workflows.version_services``: ``create_draft``, ``edit_draft``,
``release``): what the dashboard stores, ``PATCH``/``GET .../versions`` see. A version is
found only as one of the installation's user's own versions of a workflow that
installation has, in the session's ISV and environment (else 404). Every change records
an audit entry (``version.create``, ``version.block_add``, ``version.block_edit``,
``version.block_move``, ``version.block_remove``, ``version.release``) in its transaction.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.audit.services import record
from install_service.catalog.connectors import App
from install_service.catalog.services import app_for, load_own_versions
from install_service.dashboard import block_forms
from install_service.dashboard.dependencies import HOME, SignedIn
from install_service.dashboard.installation_services import find_installation
from install_service.db.models import (
    EndUser,
    Installation,
    InstalledWorkflow,
    Workflow,
    WorkflowVersion,
)
from install_service.db.models.catalog import DRAFT
from install_service.db.transactions import write_transaction
from install_service.errors import Conflict, InvalidInput, NotFound
from install_service.workflows.version_services import (
    Release,
    create_draft,
    edit_draft,
    release,
)


@dataclass(frozen=True, slots=True)
class Editor:
    """What the editor shows: the installation's user and workflow, the copy they run,
    their own versions (newest last) and the one open (None: the landing page)."""

    installation: Installation
    user: EndUser
    app: App
    workflow: Workflow
    copy: InstalledWorkflow
    own_versions: list[WorkflowVersion]
    version: WorkflowVersion | None = None

    @property
    def drafts(self) -> list[WorkflowVersion]:
        return [v for v in self.own_versions if v.status == DRAFT]

    @property
    def url(self) -> str:
        """The editor's landing page (path)."""
        return f"{HOME}/installations/{self.installation.id}/workflows/{self.workflow.id}"

    @property
    def version_url(self) -> str:
        """The open version's page (path); "" on the landing page."""
        return f"{self.url}/versions/{self.version.id}" if self.version else ""

    @property
    def actions(self) -> list[str]:
        """The integration's app's actions (the App action block's select)."""
        return block_forms.actions_of(self.app.key)


@dataclass(frozen=True, slots=True)
class Started:
    """``created`` False: the user's existing draft, about which the page asks first."""

    editor: Editor
    version: WorkflowVersion
    created: bool


@dataclass(frozen=True, slots=True)
class BlockSave:
    """A block form's outcome: ``errors`` by field (``"block"`` for the whole workflow's
    grammar) and nothing stored, or none and the draft changed. ``values`` as typed."""

    editor: Editor
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Released:
    editor: Editor
    outcome: Release


async def open_editor(
    session: AsyncSession,
    staff: SignedIn,
    installation_ref: str,
    workflow_ref: str,
    version_ref: str | None = None,
) -> Editor:
    """The editor of the installation's workflow, on the user's version ``version_ref``.

    Raises:
        NotFound: ``installation_not_found``; ``workflow_not_installed`` (not one of its
            workflows); ``version_not_found`` (not one of that user's own versions of it).
    """
    installation, user = await find_installation(session, staff, installation_ref)
    copy = next((c for c in installation.workflows if str(c.workflow_id) == workflow_ref), None)
    if copy is None:
        raise NotFound(
            "This installation does not include that workflow",
            code=error_codes.WORKFLOW_NOT_INSTALLED,
        )
    await load_own_versions(session, [copy.workflow], user.id)
    own = [v for v in copy.workflow.versions if v.user_id == user.id]
    version = None
    if version_ref is not None:
        version = next((v for v in own if str(v.id) == version_ref), None)
        if version is None:
            raise NotFound("Version not found", code=error_codes.VERSION_NOT_FOUND)
    app = app_for(installation.integration)
    return Editor(installation, user, app, copy.workflow, copy, own, version)


async def start_user_version(
    session: AsyncSession, staff: SignedIn, installation_ref: str, workflow_ref: str, another: bool
) -> Started:
    """**Create a new user-specific version**: a draft copied from the version the user runs
    (``version.create``). When the user has a draft already and ``another`` is False,
    nothing is made: the newest draft comes back with ``created=False``.

    Raises:
        NotFound: as ``open_editor``.
        Conflict: ``version_conflict`` (a concurrent create took the number).
    """
    async with write_transaction(session):
        editor = await open_editor(session, staff, installation_ref, workflow_ref)
        if editor.drafts and not another:
            return Started(editor, editor.drafts[-1], created=False)
        runs = editor.copy.workflow_version
        version = await create_draft(
            session,
            editor.workflow,
            deepcopy(runs.blocks),
            deepcopy(runs.configurable_fields),
            user_id=editor.user.id,
        )
        _audit(session, staff, editor, version, "version.create", {"versionId": str(runs.id)})
    return Started(editor, version, created=True)


async def save_block(
    session: AsyncSession,
    staff: SignedIn,
    refs: tuple[str, str, str],
    values: dict[str, str],
    block_id: str | None = None,
) -> BlockSave:
    """**Add block** (``block_id`` None: at the end) or edit the block ``block_id`` of the
    draft ``refs`` = (installation, workflow, version) from the form ``values`` (``type``,
    ``name`` and the type's fields, ``block_forms``). A form with a problem stores nothing.

    Raises:
        NotFound: as ``open_editor``; ``not_found`` (no such block).
        Conflict: ``version_released``.
    """
    async with write_transaction(session):
        editor = await open_editor(session, staff, *refs)
        version = _draft(editor)
        blocks = deepcopy(version.blocks)
        kind = block_forms.block_type(values.get("type", ""))
        errors = block_forms.form_errors(kind, values, editor.app.key)
        if values.get("type") not in block_forms.BY_KEY:
            errors["type"] = "Choose a block type."
        if errors:
            return BlockSave(editor, values, errors)
        if block_id is None:  # a new block, at the end
            new_id = block_forms.new_block_id(values["name"], {b.get("id") for b in blocks})
            blocks.append(block_forms.to_block(kind, values, editor.app.key, new_id, {}))
        else:
            at, new_id = block_forms.index_of(blocks, block_id), block_id
            blocks[at] = block_forms.to_block(kind, values, editor.app.key, new_id, blocks[at])
        if problems := block_forms.grammar_problems(blocks):
            return BlockSave(editor, values, {"block": "; ".join(problems)})
        before = _ids(version)
        await edit_draft(session, version, blocks, None)
        action = "version.block_edit" if block_id else "version.block_add"
        _audit(session, staff, editor, version, action, before, block=new_id)
    return BlockSave(editor, values)


async def move_block(
    session: AsyncSession, staff: SignedIn, refs: tuple[str, str, str], block_id: str, up: bool
) -> Editor:
    """Move a block of the draft one place up or down (``version.block_move``).

    Raises:
        NotFound: as ``open_editor``; ``not_found`` (no such block).
        Conflict: ``version_released``.
        InvalidInput: ``invalid_blocks`` (the trigger must stay first; past either end).
    """
    async with write_transaction(session):
        editor = await open_editor(session, staff, *refs)
        version = _draft(editor)
        blocks = deepcopy(version.blocks)
        at = block_forms.index_of(blocks, block_id)
        to = at - 1 if up else at + 1
        if not 0 <= to < len(blocks):
            raise InvalidInput(
                f"That block is already the {'first' if up else 'last'}",
                code=error_codes.INVALID_BLOCKS,
            )
        blocks[at], blocks[to] = blocks[to], blocks[at]
        before = _ids(version)
        await edit_draft(session, version, blocks, None)
        _audit(session, staff, editor, version, "version.block_move", before, block=block_id)
    return editor


async def remove_block(
    session: AsyncSession, staff: SignedIn, refs: tuple[str, str, str], block_id: str
) -> Editor:
    """Remove a block of the draft (``version.block_remove``).

    Raises:
        NotFound: as ``open_editor``; ``not_found`` (no such block).
        Conflict: ``version_released``.
        InvalidInput: ``invalid_blocks`` (the trigger cannot go).
    """
    async with write_transaction(session):
        editor = await open_editor(session, staff, *refs)
        version = _draft(editor)
        blocks = deepcopy(version.blocks)
        del blocks[block_forms.index_of(blocks, block_id)]
        before = _ids(version)
        await edit_draft(session, version, blocks, None)
        _audit(session, staff, editor, version, "version.block_remove", before, block=block_id)
    return editor


async def release_user_version(
    session: AsyncSession, staff: SignedIn, refs: tuple[str, str, str]
) -> Released:
    """**Release user-specific version** (``version_services.release``): the user moves to
    it at once when it asks nothing new of them; otherwise their version stays live and
    ``outcome.waiting_for_update`` is True (``Alloy.update`` with this version's id).
    Other users' installations never change. Records ``version.release``.

    Raises:
        NotFound: as ``open_editor``.
        Conflict: ``version_released``.
    """
    async with write_transaction(session):
        editor = await open_editor(session, staff, *refs)
        running = str(editor.copy.version_id)
        outcome = await release(session, _draft(editor))
        _audit(
            session,
            staff,
            editor,
            editor.version,
            "version.release",
            {"installedVersionId": running},
            installedVersionId=str(editor.copy.version_id),
            waitingForUpdate=outcome.waiting_for_update,
        )
    return Released(editor, outcome)


def _draft(editor: Editor) -> WorkflowVersion:
    """The open version, which must be a draft.

    Raises:
        Conflict: ``version_released``.
    """
    version = editor.version
    if version is None or version.status != DRAFT:
        raise Conflict(
            "This version is released and cannot change; create a new version instead",
            code=error_codes.VERSION_RELEASED,
        )
    return version


def _ids(version: WorkflowVersion) -> dict[str, Any]:
    return {"versionId": str(version.id), "blocks": [b.get("id") for b in version.blocks]}


def _audit(
    session: AsyncSession,
    staff: SignedIn,
    editor: Editor,
    version: WorkflowVersion,
    action: str,
    before: dict[str, Any],
    **after: Any,
) -> None:
    record(
        session,
        staff.account,
        action,
        environment=staff.environment,
        target_type="workflow_version",
        target_id=str(version.id),
        before={"userId": str(editor.user.id), **before},
        after={**_ids(version), "userId": str(editor.user.id), **after},
    )

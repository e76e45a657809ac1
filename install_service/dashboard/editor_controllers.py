"""The workflow editor of a user-specific version (Alloy's Installation Manager guide):
Create a new user-specific version, the draft's blocks (Add block, edit, move, remove),
the as-you-type field check, and Release user-specific version.

Each handler reads its input, makes one service call (``editor_services``) and renders a
template or redirects (303, post/redirect/get). A block form with a problem renders the
same page again (422) with what was typed and the errors.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.dashboard import block_forms, editor_services
from install_service.dashboard.dependencies import HOME, SignedIn, require_session
from install_service.dashboard.forms import FormData, form_value
from install_service.dashboard.installation_controllers import EDITOR, VERSION, page


def editor_url(installation_id: str, workflow_id: str, version_id: str | None = None) -> str:
    base = f"{HOME}/installations/{installation_id}/workflows/{workflow_id}"
    return f"{base}/versions/{version_id}" if version_id else base


def _values(data: dict[str, Any]) -> dict[str, str]:
    """The block form's fields as typed (the CSRF token left out)."""
    return {k: form_value(data, k) for k in data if k != "_csrf_token"}


class EditorController(Controller):
    """The workflow editor: ``.../workflows/{id}`` (landing), ``.../versions/{id}`` (a draft)."""

    guards = [require_session]

    @get(EDITOR)
    async def landing(
        self, db_session: AsyncSession, staff: SignedIn, installation_id: str, workflow_id: str
    ) -> Template:
        """The version the user runs and **Create a new user-specific version**."""
        editor = await editor_services.open_editor(db_session, staff, installation_id, workflow_id)
        return page("dashboard/editor.html", staff, editor=editor)

    @post(EDITOR + "/versions", status_code=303)
    async def create_version(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        data: FormData,
    ) -> Redirect | Template:
        """A new draft, then its editor; with a draft already there (and no
        ``another=yes``), the question: finish it, or create another new version."""
        started = await editor_services.start_user_version(
            db_session, staff, installation_id, workflow_id, form_value(data, "another") == "yes"
        )
        if not started.created:
            return page(
                "dashboard/editor.html",
                staff,
                status_code=200,
                editor=started.editor,
                existing_draft=started.version,
            )
        url = editor_url(installation_id, workflow_id, str(started.version.id))
        return Redirect(url, status_code=303)

    @get(VERSION)
    async def version(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
    ) -> Template:
        """The draft's blocks in order, each with Edit, Move up / down and Remove."""
        editor = await editor_services.open_editor(
            db_session, staff, installation_id, workflow_id, version_id
        )
        return page("dashboard/editor.html", staff, editor=editor)

    @get(VERSION + "/blocks/new")
    async def new_block(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
    ) -> Template:
        """**Add block**'s form for the ``type`` asked (Math first), keeping what was typed
        (the query holds it when the Block type changes); htmx gets the form alone."""
        editor = await editor_services.open_editor(
            db_session, staff, installation_id, workflow_id, version_id
        )
        values = dict(request.query_params)
        form = {"values": values, "errors": {}, "block_id": values.pop("block", None)}
        template = "dashboard/_block_form.html" if request.htmx else "dashboard/editor.html"
        return page(template, staff, editor=editor, form=form)

    @post(VERSION + "/blocks", status_code=303)
    async def add_block(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
        data: FormData,
    ) -> Redirect | Template:
        """Add the block at the end (``intent=choose``, the no-JavaScript Block type switch:
        show that type's fields with what was typed, storing nothing)."""
        refs = (installation_id, workflow_id, version_id)
        if form_value(data, "intent") == "choose":
            return await _choose_type(db_session, staff, refs, data)
        saved = await editor_services.save_block(db_session, staff, refs, _values(data))
        return _after_save(staff, saved, refs)

    @get(VERSION + "/blocks/{block_id:str}/edit")
    async def edit_block(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
        block_id: str,
    ) -> Template:
        """The block's form, filled in from the draft."""
        editor = await editor_services.open_editor(
            db_session, staff, installation_id, workflow_id, version_id
        )
        block = next((b for b in editor.version.blocks if b.get("id") == block_id), None)
        values = block_forms.to_values(block) if block else {}
        form = {"values": values, "errors": {}, "block_id": block_id if block else None}
        return page("dashboard/editor.html", staff, editor=editor, form=form)

    @post(VERSION + "/blocks/{block_id:str}", status_code=303)
    async def save_block(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
        block_id: str,
        data: FormData,
    ) -> Redirect | Template:
        """Save the block's form (``intent=choose``: as in ``add_block``)."""
        refs = (installation_id, workflow_id, version_id)
        if form_value(data, "intent") == "choose":
            return await _choose_type(db_session, staff, refs, data, block_id)
        saved = await editor_services.save_block(db_session, staff, refs, _values(data), block_id)
        return _after_save(staff, saved, refs, block_id)

    @post(VERSION + "/blocks/{block_id:str}/move", status_code=303)
    async def move_block(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
        block_id: str,
        data: FormData,
    ) -> Redirect:
        """``direction=up`` or ``down``."""
        refs = (installation_id, workflow_id, version_id)
        up = form_value(data, "direction") == "up"
        await editor_services.move_block(db_session, staff, refs, block_id, up)
        return Redirect(editor_url(*refs) + f"#block-{block_id}", status_code=303)

    @post(VERSION + "/blocks/{block_id:str}/remove", status_code=303)
    async def remove_block(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
        block_id: str,
    ) -> Redirect:
        refs = (installation_id, workflow_id, version_id)
        await editor_services.remove_block(db_session, staff, refs, block_id)
        return Redirect(editor_url(*refs) + "#blocks", status_code=303)

    @post(VERSION + "/release", status_code=200)
    async def release(
        self,
        db_session: AsyncSession,
        staff: SignedIn,
        installation_id: str,
        workflow_id: str,
        version_id: str,
    ) -> Template:
        """**Release user-specific version**: live for that user at once, or (it needs their
        configuration) waiting for ``Alloy.update`` with the ``versionId`` shown."""
        released = await editor_services.release_user_version(
            db_session, staff, (installation_id, workflow_id, version_id)
        )
        return page(
            "dashboard/editor.html", staff, editor=released.editor, outcome=released.outcome
        )

    @get("/editor/check/{field_name:str}")
    async def check_field(self, request: HTMXRequest, staff: SignedIn, field_name: str) -> Template:
        """The problem with one field as typed (``?<field_name>=<text>``), for the message
        next to it: empty when it parses. Reads and writes nothing."""
        value = request.query_params.get(field_name, "")
        problem = block_forms.field_problem(field_name, value)
        return Template(
            "dashboard/_field_check.html", context={"problem": problem, "name": field_name}
        )


async def _choose_type(
    db_session: AsyncSession,
    staff: SignedIn,
    refs: tuple[str, str, str],
    data: dict[str, Any],
    block_id: str | None = None,
) -> Template:
    editor = await editor_services.open_editor(db_session, staff, *refs)
    values = {k: v for k, v in _values(data).items() if k != "intent"}
    form = {"values": values, "errors": {}, "block_id": block_id}
    return page("dashboard/editor.html", staff, editor=editor, form=form)


def _after_save(
    staff: SignedIn,
    saved: editor_services.BlockSave,
    refs: tuple[str, str, str],
    block_id: str | None = None,
) -> Redirect | Template:
    """The draft again (303), or the form with what was typed and its errors (422)."""
    if saved.errors:
        form = {"values": saved.values, "errors": saved.errors, "block_id": block_id}
        return page("dashboard/editor.html", staff, status_code=422, editor=saved.editor, form=form)
    return Redirect(editor_url(*refs) + "#blocks", status_code=303)

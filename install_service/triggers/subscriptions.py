"""Which subscriptions an installation needs, staged inside the caller's transaction.

The use cases that change what an end user has installed (install, update, uninstall,
upgrade, user deletion) call :func:`stage` or :func:`stage_user_removal` inside their own
transaction, then :func:`triggers.sync.request` with what changed once it committed. So
the intent (register this hook, delete that one) commits with the change itself and a
crash before the request loses nothing: a starting process requests every subscription
still ``pending`` or ``deleting`` (``sync.request_unfinished``).

An installation needs one subscription per app scope used by the trigger of any of its
installed workflows (active or not: a deactivated workflow keeps its hook and runs
nothing), e.g. ``{"store/order/created"}`` for the Quick Start's Workflow #1.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from install_service.catalog.app_triggers import triggers_for
from install_service.db.models import EndUser, HookSubscription, Installation, InstalledWorkflow
from install_service.db.models.triggers import DELETING, PENDING

SyncRequest = tuple[str, int]  # (subscription id, generation)


def trigger_scope(blocks: list[dict]) -> tuple[str, str] | None:
    """The (app, scope) a workflow version's trigger subscribes to, None for a custom
    event (or an app event the app does not offer: the catalogue refuses those)."""
    trigger = blocks[0] if blocks else {}
    if trigger.get("type") != "appTrigger":
        return None
    app = str(trigger.get("app") or "")
    scope = triggers_for(app).get(str(trigger.get("event") or "").strip().lower())
    return (app, scope) if scope else None


def needed_scopes(workflows: list[InstalledWorkflow]) -> dict[str, str]:
    """{scope: app} over ``workflows`` (their versions loaded)."""
    needed = {}
    for copy in workflows:
        if found := trigger_scope(copy.workflow_version.blocks):
            needed[found[1]] = found[0]
    return needed


async def stage(
    session: AsyncSession, installation: Installation, workflows: list[InstalledWorkflow]
) -> list[SyncRequest]:
    """Make ``installation``'s subscriptions match ``workflows`` (what it will have once the
    caller commits; [] when it is being removed): add a pending one per missing scope, mark
    the unneeded ones for deletion. Returns what to request after the commit."""
    needed = needed_scopes(workflows)
    rows = (
        await session.scalars(
            select(HookSubscription).where(HookSubscription.installation_id == installation.id)
        )
    ).all()
    changed = []
    for row in rows:
        if row.scope not in needed:
            changed.append(_mark_deleting(row))
        elif row.credential_id not in (None, installation.credential_id):
            # A new credential (a reinstall, another store): register afresh with it.
            row.status, row.generation = PENDING, (row.generation or 0) + 1
            changed.append((str(row.id), row.generation))
    have = {row.scope for row in rows}
    for scope, app in needed.items():
        if scope in have:
            continue
        row = HookSubscription(
            id=uuid7(),
            isv_id=installation.isv_id,
            environment=await _environment(session, installation),
            user_id=installation.user_id,
            installation_id=installation.id,
            app=app,
            scope=scope,
            status=PENDING,
            key_id="",
            sealed=b"",
        )
        session.add(row)
        changed.append((str(row.id), row.generation or 0))
    return changed


async def stage_user_removal(session: AsyncSession, user_id: UUID) -> list[SyncRequest]:
    """Mark every subscription of the end user for deletion (before the user is deleted)."""
    rows = (
        await session.scalars(
            select(HookSubscription).where(
                HookSubscription.user_id == user_id, HookSubscription.status != DELETING
            )
        )
    ).all()
    return [_mark_deleting(row) for row in rows]


def _mark_deleting(row: HookSubscription) -> SyncRequest:
    """Detached from its installation (which may go), so a reinstall subscribes afresh."""
    row.status, row.installation_id, row.user_id = DELETING, None, None
    row.generation = (row.generation or 0) + 1
    return (str(row.id), row.generation)


async def _environment(session: AsyncSession, installation: Installation) -> str:
    user = await session.get_one(EndUser, installation.user_id)
    return user.environment

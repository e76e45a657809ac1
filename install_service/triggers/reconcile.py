"""Reconciling subscriptions with the apps: hooks that went missing or inactive come back.

BigCommerce turns a hook off (``is_active: false``) after its deliveries keep failing, and a
store owner may delete it. :func:`reconcile` (``install-service triggers reconcile``, and a
DBOS schedule every day at 03:47 UTC) goes through the subscriptions and, for each:

- ``active``: lists the store's hooks with the credential it was made with; an inactive
  hook is switched back on (``PUT .../v3/hooks/{id}`` ``is_active: true``), a missing one is
  registered afresh (a new sync generation);
- ``failed`` (registration gave up): registered afresh;
- ``pending`` / ``deleting``: requested again (the same DBOS workflow id: nothing doubles).

It returns one line per change, e.g. ``"store/order/created of user 0190…: re-created (the
hook was gone)"``; subscriptions found as they should be are not listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from dbos import DBOS
from sqlalchemy import select

from install_service.catalog.app_triggers import trigger_app
from install_service.db.models import HookSubscription
from install_service.db.models.triggers import ACTIVE, DELETING, FAILED, PENDING
from install_service.db.transactions import write_transaction
from install_service.runtime import engine
from install_service.runtime.blocks import hook_operation
from install_service.runtime.runner import failure_message
from install_service.triggers.sync import SECRET_FIELD, open_sealed, request, sealed_credential

SCHEDULE_NAME = "install_service.triggers_reconcile"
SCHEDULE = "0 47 3 * * *"  # seconds minutes hours ...: 03:47:00 UTC daily


async def schedule() -> None:
    """Create (or replace) the daily reconcile schedule."""
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": reconcile_daily, "schedule": SCHEDULE}]
    )


@DBOS.workflow(name="install_service.triggers_reconcile_daily")
async def reconcile_daily(scheduled_at: datetime, _context: Any) -> list[str]:
    return await reconcile(None)


@DBOS.workflow(name="install_service.triggers_reconcile")
async def reconcile(isv_id: str | None) -> list[str]:
    """Reconcile every subscription (of one ISV when ``isv_id`` is given); returns what
    changed, one line each."""
    await engine.ready()
    rows = await DBOS.run_step_async({"name": "subscriptions"}, _subscriptions, isv_id)
    report = []
    for subscription_id, status, label in rows:
        if status in (PENDING, DELETING):
            generation = await DBOS.run_step_async({"name": "read"}, _generation, subscription_id)
            if generation is not None:
                await request([(subscription_id, generation)])
            continue
        verdict = "retry"
        if status == ACTIVE:
            try:
                verdict = await DBOS.run_step_async({"name": "check"}, _check, subscription_id)
            except Exception as error:  # the app unreachable: say so, go on with the others
                report.append(f"{label}: could not check ({failure_message(error)})")
                continue
        if verdict == "reactivated":
            report.append(f"{label}: switched back on (the app had turned it off)")
        elif verdict in ("missing", "retry"):
            change = await DBOS.run_step_async({"name": "again"}, _again, subscription_id)
            if change is not None:
                await request([change])
                reason = "the hook was gone" if verdict == "missing" else "registering had failed"
                report.append(f"{label}: registering afresh ({reason})")
    return report


async def _subscriptions(isv_id: str | None) -> list[tuple[str, str, str]]:
    query = select(HookSubscription).order_by(HookSubscription.created_at)
    if isv_id:
        query = query.where(HookSubscription.isv_id == UUID(isv_id))
    async with engine.context().session_maker() as session:
        rows = (await session.scalars(query)).all()
    return [(str(r.id), r.status, f"{r.app} {r.scope} of user {r.user_id}") for r in rows]


async def _generation(subscription_id: str) -> int | None:
    async with engine.context().session_maker() as session:
        row = await session.get(HookSubscription, UUID(subscription_id))
    return row.generation if row is not None else None


async def _check(subscription_id: str) -> str:
    """ "ok", "reactivated" or "missing" (the hook is not among the store's hooks)."""
    ctx = engine.context()
    async with ctx.session_maker() as session:
        row = await session.get(HookSubscription, UUID(subscription_id))
        if row is None or row.status != ACTIVE or not row.hook_id:
            return "ok"
        app_key, hook_id, sealed = row.app, row.hook_id, open_sealed(row)
    hooks = trigger_app(app_key)

    async def check(call: Any) -> str:
        found = {hook.id: hook for hook in await hooks.list_hooks(call)}.get(hook_id)
        if found is None:
            return "missing"
        if not found.is_active:
            await hooks.set_hook_active(call, hook_id, True)
            return "reactivated"
        return "ok"

    return await hook_operation(
        app_key, sealed_credential(sealed), check, secrets=[sealed.get(SECRET_FIELD, "")]
    )


async def _again(subscription_id: str) -> tuple[str, int] | None:
    """Back to pending, one generation on (so a new sync starts)."""
    async with engine.context().session_maker() as session, write_transaction(session):
        row = await session.get(HookSubscription, UUID(subscription_id))
        if row is None or row.status not in (ACTIVE, FAILED) or row.installation_id is None:
            return None
        row.status, row.generation = PENDING, row.generation + 1
        return (str(row.id), row.generation)

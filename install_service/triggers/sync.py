"""Carry out a subscription's staged state in the app: register or delete its hook, durably.

:func:`request` queues one DBOS workflow per change on the executions queue (workflow id
``hook:<subscriptionId>:<generation>``, so asking twice starts it once). Its steps:

- ``pending`` → ``register``: with the installation's credential (decrypted in the step),
  seal a fresh random secret together with the credential values (so the hook can be
  deleted after the credential is gone) and commit it, delete any hook of ours left at that
  destination by an earlier attempt, create the hook, then record its id;
- ``deleting`` → ``unregister``: delete the hook with the sealed credential values, then
  the row.

Transient app failures (an outage, 429, 5xx) are retried by DBOS with the runtime's backoff
(``step_max_attempts``, ``step_retry_interval_s``, doubling). Registering that still fails
marks the subscription ``failed`` and records a failed execution of every workflow waiting
on it, so the failure shows in the workflow's errors and reaches the ISV's error webhook;
``install-service triggers reconcile`` (and its daily run) tries again. Nothing of the
credential or the secret is a step input or output.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID
from sqlalchemy import select

from install_service.catalog.app_triggers import trigger_app
from install_service.db.models import HookSubscription, Installation
from install_service.db.models.triggers import ACTIVE, DELETING, FAILED, PENDING
from install_service.db.transactions import write_transaction
from install_service.runtime import engine, records
from install_service.runtime.blocks import credential_values, hook_operation
from install_service.runtime.runner import failure_message, retry_options
from install_service.triggers.subscriptions import SyncRequest, trigger_scope

CALLBACK_PATH = "/triggers/{app}/{subscription_id}"
SYNC_PARTITION = "hooks"  # of the executions queue
SECRET_FIELD = "_hookSecret"  # noqa: S105 (the name of a sealed field, not a secret)


def destination(app: str, subscription_id: str) -> str:
    """The callback URL the app is given: ``{PUBLIC_URL}/triggers/<app>/<subscriptionId>``."""
    path = CALLBACK_PATH.format(app=app, subscription_id=subscription_id)
    return engine.context().settings.public_url.rstrip("/") + path


async def request(changes: list[SyncRequest]) -> None:
    """Queue the sync of each (subscription id, generation); call after the commit. Any
    process running executions takes it from the queue (partition ``hooks``). In a process
    without the runtime (a one-off command, a test of one use case) they stay staged, and
    the next process to start requests them."""
    try:
        queue = engine.context().queue
    except engine.RuntimeNotStarted:
        return
    for subscription_id, generation in changes:
        with (
            SetWorkflowID(f"hook:{subscription_id}:{generation}"),
            SetEnqueueOptions(queue_partition_key=SYNC_PARTITION),
        ):
            await queue.enqueue_async(sync_subscription, subscription_id, generation)


async def request_unfinished() -> int:
    """At start-up: request every subscription still ``pending`` or ``deleting`` (a process
    may have died between a commit and its request); returns how many."""
    async with engine.context().session_maker() as session:
        rows = (
            await session.execute(
                select(HookSubscription.id, HookSubscription.generation).where(
                    HookSubscription.status.in_([PENDING, DELETING])
                )
            )
        ).all()
    await request([(str(row.id), row.generation) for row in rows])
    return len(rows)


@DBOS.workflow(name="install_service.sync_subscription")
async def sync_subscription(subscription_id: str, generation: int) -> str:
    """Register or delete one subscription's hook; returns its state afterwards."""
    await engine.ready()
    state = await DBOS.run_step_async({"name": "read"}, _state, subscription_id, generation)
    options = retry_options(f"hook:{state}")
    try:
        if state == PENDING:
            await DBOS.run_step_async(options, _register, subscription_id, generation)
            return ACTIVE
        if state == DELETING:
            await DBOS.run_step_async(options, _unregister, subscription_id, generation)
            return "deleted"
    except Exception as error:  # gave up: recorded, and retried by reconcile
        message = failure_message(error)
        await DBOS.run_step_async(
            {"name": "give_up"}, _give_up, subscription_id, generation, message
        )
        return FAILED
    return state  # stale (a newer change supersedes this one) or gone


async def _state(subscription_id: str, generation: int) -> str:
    async with engine.context().session_maker() as session:
        row = await session.get(HookSubscription, UUID(subscription_id))
    if row is None:
        return "gone"
    return row.status if row.generation == generation else "stale"


async def _current(session: Any, subscription_id: str, generation: int, status: str) -> Any:
    row = await session.get(HookSubscription, UUID(subscription_id))
    if row is None or row.generation != generation or row.status != status:
        return None
    return row


async def _register(subscription_id: str, generation: int) -> str | None:
    ctx = engine.context()
    async with ctx.session_maker() as session:
        row = await _current(session, subscription_id, generation, PENDING)
        installation = row and await session.get(Installation, row.installation_id)
        if row is None or installation is None:
            return None
        app_key, scope = row.app, row.scope
        credential_id = str(installation.credential_id)
        previous = (row.hook_id, open_sealed(row)) if row.hook_id and row.sealed else None
    credential = await credential_values(credential_id)
    secret = secrets.token_urlsafe(32)
    target = destination(app_key, subscription_id)
    hooks = trigger_app(app_key)
    if previous is not None:  # registered before, maybe in another store: delete that hook
        await _delete_hook(app_key, *previous)
    # The secret is stored before the app knows it, so the first callback finds it.
    async with ctx.session_maker() as session, write_transaction(session):
        row = await _current(session, subscription_id, generation, PENDING)
        if row is None:  # superseded meanwhile: the newer sync cleans up
            return None
        row.key_id, row.sealed = ctx.cipher.seal({**credential, SECRET_FIELD: secret}, **_aad(row))
        row.hook_id, row.credential_id = None, UUID(credential_id)

    async def replace_hook(call: Any) -> Any:
        for old in await hooks.list_hooks(call):
            if old.destination == target:
                await hooks.delete_hook(call, old.id)
        return await hooks.create_hook(call, scope, target, secret)

    hook = await hook_operation(app_key, credential, replace_hook, secrets=[secret])
    async with ctx.session_maker() as session, write_transaction(session):
        row = await _current(session, subscription_id, generation, PENDING)
        if row is None:  # superseded meanwhile: the newer sync cleans up
            return None
        row.hook_id, row.status, row.last_error = hook.id, ACTIVE, None
    return hook.id


async def _unregister(subscription_id: str, generation: int) -> None:
    ctx = engine.context()
    async with ctx.session_maker() as session:
        row = await _current(session, subscription_id, generation, DELETING)
        if row is None:
            return
        app_key, hook_id = row.app, row.hook_id
        sealed = open_sealed(row) if row.sealed else None
    if hook_id and sealed is not None:
        await _delete_hook(app_key, hook_id, sealed)
    async with ctx.session_maker() as session, write_transaction(session):
        if row := await _current(session, subscription_id, generation, DELETING):
            await session.delete(row)


async def _delete_hook(app_key: str, hook_id: str, sealed: dict[str, str]) -> None:
    """Delete the hook with the credential values it was made with (``sealed``)."""
    hooks = trigger_app(app_key)
    await hook_operation(
        app_key,
        sealed_credential(sealed),
        lambda call: hooks.delete_hook(call, hook_id),
        secrets=[sealed.get(SECRET_FIELD, "")],
    )


def open_sealed(row: HookSubscription) -> dict[str, str]:
    """The subscription's sealed values: the credential fields and the callback secret."""
    return engine.context().cipher.open(row.key_id, row.sealed, **_aad(row))


def sealed_credential(sealed: dict[str, str]) -> dict[str, str]:
    """The credential values among the sealed ones (without the callback secret)."""
    return {k: v for k, v in sealed.items() if k != SECRET_FIELD}


def callback_secret(row: HookSubscription) -> str:
    """The secret the app must send back in its callbacks ("" before registration)."""
    return open_sealed(row).get(SECRET_FIELD, "") if row.sealed else ""


def _aad(row: HookSubscription) -> dict[str, str]:
    return {"isv_id": str(row.isv_id), "user_id": "hook", "credential_id": str(row.id)}


async def _give_up(subscription_id: str, generation: int, message: str) -> None:
    """Mark it failed; a failed registration also fails each waiting workflow's execution."""
    async with engine.context().session_maker() as session, write_transaction(session):
        row = await session.get(HookSubscription, UUID(subscription_id))
        if row is None or row.generation != generation:
            return
        registering = row.status == PENDING
        if registering:
            row.status = FAILED
        row.last_error = message[:2000]
        installation = (
            await session.get(Installation, row.installation_id) if row.installation_id else None
        )
        waiting = [
            copy
            for copy in (installation.workflows if installation and registering else [])
            if (found := trigger_scope(copy.workflow_version.blocks)) and found[1] == row.scope
        ]
        failed = [
            records.failed_start(session, installation, copy, row.environment) for copy in waiting
        ]
    for execution_id, block in failed:
        await records.fail_execution(
            execution_id, block, f"Could not subscribe to {row.app} {row.scope}: {message}"
        )

"""Use cases of app triggers: accepting an app's callback.

A callback (``POST /triggers/<app>/<subscriptionId>``, see ``sync.destination``) is checked
before anything runs: the subscription must exist and be ours for that app, the app's
secret header must match the subscription's secret (constant-time comparison), and the body
must be the app's callback shape. A callback whose delivery hash this subscription already
accepted (BigCommerce redelivers until it gets a 2xx; receipts kept ``RECEIPT_TTL``, 7 days,
then purged by the daily retention sweep) runs
nothing. Otherwise one execution per *active* workflow of the installation whose trigger
is that scope is committed with the receipt, then enqueued in DBOS, before the answer: the
app never waits for a workflow.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.catalog.app_triggers import Callback, CallbackRejected, trigger_app
from install_service.db.models import EndUser, HookReceipt, HookSubscription, Installation
from install_service.db.models.triggers import ACTIVE, PENDING
from install_service.db.transactions import end_read, write_transaction
from install_service.errors import Forbidden, NotFound, ServiceError, Unauthorized
from install_service.runtime.runner import Job, enqueue
from install_service.triggers.subscriptions import trigger_scope
from install_service.triggers.sync import callback_secret

LIVE = (ACTIVE, PENDING)  # pending: the app may call before our registration step ends


class InvalidCallback(ServiceError):
    status_code, code = 400, error_codes.INVALID_CALLBACK


async def accept_callback(
    session: AsyncSession,
    app_key: str,
    subscription_id: uuid.UUID,
    headers: Mapping[str, str],
    body: bytes,
) -> list[str]:
    """Start the executions of one callback; returns their ids ([] for a redelivery, or
    when no active workflow listens). Durable when it returns.

    ``headers``: the request's, looked up case-insensitively by the app's secret header.

    Raises:
        NotFound: ``subscription_not_found`` (unknown, another app's, or being deleted).
        Unauthorized: ``hook_secret_missing``; Forbidden: ``hook_secret_invalid``.
        InvalidCallback: ``invalid_callback`` (400): not the app's shape, or another scope.
    """
    row = await session.get(HookSubscription, subscription_id)
    hooks = trigger_app(app_key)
    if row is None or hooks is None or row.app != app_key or row.status not in LIVE:
        raise NotFound("No such trigger subscription", code=error_codes.SUBSCRIPTION_NOT_FOUND)
    given = headers.get(hooks.secret_header, "")
    if not given:
        raise Unauthorized(
            f"The {hooks.secret_header} header is missing", code=error_codes.HOOK_SECRET_MISSING
        )
    if not hmac.compare_digest(given.encode(), callback_secret(row).encode()):
        raise Forbidden(
            f"The {hooks.secret_header} header is wrong", code=error_codes.HOOK_SECRET_INVALID
        )
    try:
        callback = hooks.parse_callback(body)
    except CallbackRejected as exc:
        raise InvalidCallback(exc.message) from None
    if callback.scope != row.scope:
        raise InvalidCallback(f"This subscription is for {row.scope}, not {callback.scope}")
    jobs = await _listening_jobs(session, row, callback)
    await end_read(session)
    try:
        async with write_transaction(session):
            if await _seen(session, subscription_id, callback.dedupe_key):
                return []
            session.add(
                HookReceipt(subscription_id=subscription_id, dedupe_key=callback.dedupe_key)
            )
            session.add_all(job.queued(row.environment, row.scope) for job in jobs)
    except IntegrityError:  # a concurrent delivery of the same hash won
        return []
    await enqueue(jobs)
    return [job.execution_id for job in jobs]


async def _listening_jobs(
    session: AsyncSession, row: HookSubscription, callback: Callback
) -> list[Job]:
    installation = await session.get(Installation, row.installation_id)
    user = installation and await session.get(EndUser, installation.user_id)
    if installation is None or user is None:
        return []
    return [
        Job.start(user, copy, callback.payload)
        for copy in installation.workflows
        if copy.active and trigger_scope(copy.workflow_version.blocks) == (row.app, row.scope)
    ]


async def _seen(session: AsyncSession, subscription_id: uuid.UUID, key: str) -> bool:
    found = await session.scalar(
        select(HookReceipt.id).where(
            HookReceipt.subscription_id == subscription_id, HookReceipt.dedupe_key == key
        )
    )
    return found is not None

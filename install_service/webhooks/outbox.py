"""Writing webhook deliveries into the outbox, inside the caller's transaction.

A delivery row is added to the same session as the change it reports, so both commit or
neither does. When that session commits, every running ``DeliveryWorker`` in this process
is woken at once (``after_commit`` hook below); other processes find the row on their
next poll.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from install_service.db.models import Isv, WebhookDelivery

INSTALLATION_COMPLETED = "installation.completed"
WORKFLOW_FAILED = "workflow.failed"  # goes to the ISV's error webhook URL when it has one
_PENDING_FLAG = "install_service.webhooks_enqueued"
_wakers: set[Callable[[], None]] = set()


def add_waker(wake: Callable[[], None]) -> None:
    """Call ``wake`` after every commit that enqueued a delivery (until removed)."""
    _wakers.add(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    _wakers.discard(wake)


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    if session.info.pop(_PENDING_FLAG, False):
        for wake in list(_wakers):
            wake()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING_FLAG, None)


def target_url(isv: Isv, event_type: str) -> str | None:
    """Where a delivery of ``event_type`` goes: ``workflow.failed`` to the ISV's error
    webhook URL when set, everything else (and it, without one) to its webhook URL; None
    when the ISV has neither."""
    if event_type == WORKFLOW_FAILED and isv.error_webhook_url:
        return isv.error_webhook_url
    return isv.webhook_url


def encode_payload(payload: dict[str, Any]) -> str:
    """Compact JSON; these exact bytes are what gets signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def enqueue(
    session: AsyncSession,
    isv: Isv,
    event_type: str,
    payload: dict[str, Any],
    *,
    environment: str,
) -> WebhookDelivery:
    """Add a pending delivery for ``isv`` to ``session`` (not flushed, not committed).

    ``environment`` ("development" or "production") is that of the end user the event is
    about; only API keys of that environment list, read or redeliver the delivery.
    """
    delivery = WebhookDelivery(
        isv_id=isv.id,
        environment=environment,
        event_type=event_type,
        message_id=f"msg_{uuid.uuid4().hex}",
        payload=encode_payload(payload),
        next_attempt_at=datetime.now(UTC),
    )
    session.add(delivery)
    mark_enqueued(session)
    return delivery


def mark_enqueued(session: AsyncSession) -> None:
    """Wake the delivery workers when ``session`` commits."""
    session.sync_session.info[_PENDING_FLAG] = True

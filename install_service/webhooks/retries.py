"""What a delivery becomes after one attempt: delivered, retried when, or dead.

Retries follow the schedule (``INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE``) with ±20 %
jitter. A receiver's ``Retry-After`` (RFC 9110 §10.2.3: delta-seconds or an HTTP date)
on 429 or 503 lengthens the wait, up to ``RETRY_AFTER_CAP_S``; no retry is scheduled past
the retry horizon, the schedule's total counted from the delivery's first attempt.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from install_service.db.models import WebhookAttempt, WebhookDelivery
from install_service.db.models.webhooks import DEAD, DELIVERED, PENDING

JITTER = 0.2  # each retry delay is scaled by a random factor in [0.8, 1.2]
RETRY_AFTER_CAP_S = 3600.0  # a receiver's Retry-After is honoured up to one hour


def retry_after_s(response: httpx.Response, now: datetime) -> float | None:
    """Seconds asked for by ``Retry-After`` (delta-seconds or HTTP date), if any."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    if raw.strip().isdigit():
        return float(raw.strip())
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, (parsedate_to_datetime(raw) - now).total_seconds())
    return None


def settle(
    delivery: WebhookDelivery,
    attempt: WebhookAttempt,
    response: httpx.Response | None,
    now: datetime,
    schedule: Sequence[float],
) -> dict[str, Any]:
    """The delivery's columns after its ``delivery.attempt_count``-th try, at ``now``.

    Delivered on 2xx. Dead on 410, after the last retry of ``schedule`` (seconds), or past
    the retry horizon (the schedule's total, from the delivery's first try). Otherwise
    pending, with the next try after the scheduled delay (±20 %), or after ``Retry-After``
    on 429 or 503 when longer (at most ``RETRY_AFTER_CAP_S``), never past the horizon.

    Sets ``attempt.error`` for a redirect.
    """
    status = response.status_code if response is not None else None
    if status is not None and 200 <= status < 300:
        return {"status": DELIVERED, "delivered_at": now, "last_error": None}
    if status is not None and 300 <= status < 400:
        attempt.error = f"Redirect ({status}) not followed: webhook URLs must answer 2xx directly"
    last_error = attempt.error or f"Receiver answered HTTP {status}"
    dead = {"status": DEAD, "next_attempt_at": None, "last_error": last_error}
    if status == 410 or delivery.attempt_count > len(schedule):
        return dead
    first_try = delivery.attempts[0].attempted_at if delivery.attempts else now
    horizon = first_try + timedelta(seconds=sum(schedule))
    if now >= horizon:
        return dead
    delay = schedule[delivery.attempt_count - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if response is not None and status in {429, 503}:
        asked = min(retry_after_s(response, now) or 0.0, RETRY_AFTER_CAP_S)
        delay = max(delay, asked)
    next_attempt_at = min(now + timedelta(seconds=delay), horizon)
    return {"status": PENDING, "next_attempt_at": next_attempt_at, "last_error": last_error}

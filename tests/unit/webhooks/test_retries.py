"""What the delivery worker decides after one HTTP try: delivered, retry when, or dead."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from install_service.db.models import WebhookAttempt, WebhookDelivery
from install_service.db.models.webhooks import DEAD, DELIVERED, PENDING
from install_service.settings import DEFAULT_WEBHOOK_RETRY_SCHEDULE_S
from install_service.webhooks.retries import RETRY_AFTER_CAP_S, retry_after_s, settle

NOW = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
SCHEDULE = DEFAULT_WEBHOOK_RETRY_SCHEDULE_S
URL = "https://acme.example.com/hooks/alloy"


def _delivery(attempt_count: int, first_try: datetime | None = None) -> WebhookDelivery:
    """A delivery whose ``attempt_count``-th try has just been made (as ``_attempt`` counts),
    the first of them at ``first_try`` (default: this one, at ``NOW``)."""
    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        isv_id=uuid.uuid4(),
        event_type="credential.created",
        message_id=f"msg_{uuid.uuid4().hex}",
        payload="{}",
        status=PENDING,
        attempt_count=attempt_count,
        next_attempt_at=NOW,
        last_error=None,
    )
    if first_try is not None:
        delivery.attempts = [WebhookAttempt(attempted_at=first_try, url=URL)]
    return delivery


def _settle(
    delivery: WebhookDelivery,
    response: httpx.Response | None,
    error: str | None = None,
    schedule: tuple[float, ...] = SCHEDULE,
) -> WebhookAttempt:
    attempt = WebhookAttempt(delivery_id=delivery.id, attempted_at=NOW, url=URL, error=error)
    if response is not None:
        attempt.status_code = response.status_code
    for column, value in settle(delivery, attempt, response, NOW, schedule).items():
        setattr(delivery, column, value)
    return attempt


def _delay_s(delivery: WebhookDelivery) -> float:
    assert delivery.next_attempt_at is not None
    return (delivery.next_attempt_at - NOW).total_seconds()


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_a_2xx_answer_marks_the_delivery_delivered(status: int) -> None:
    delivery = _delivery(3)
    delivery.last_error = "Receiver answered HTTP 500"

    _settle(delivery, httpx.Response(status))

    assert delivery.status == DELIVERED
    assert delivery.delivered_at == NOW
    assert delivery.last_error is None


@pytest.mark.parametrize("attempt", range(1, len(SCHEDULE) + 1))
def test_a_500_is_retried_after_the_scheduled_delay_give_or_take_20_percent(attempt: int) -> None:
    delivery = _delivery(attempt)

    _settle(delivery, httpx.Response(500))

    assert delivery.status == PENDING
    assert delivery.last_error == "Receiver answered HTTP 500"
    assert 0.8 * SCHEDULE[attempt - 1] <= _delay_s(delivery) <= 1.2 * SCHEDULE[attempt - 1]


def test_retry_delays_are_jittered() -> None:
    delays = set()
    for _ in range(20):
        delivery = _delivery(2)
        _settle(delivery, httpx.Response(500))
        delays.add(_delay_s(delivery))

    assert len(delays) > 1


def test_a_network_error_is_retried_with_its_message() -> None:
    delivery = _delivery(1)

    _settle(delivery, None, error="ConnectError: connection refused")

    assert delivery.status == PENDING
    assert delivery.last_error == "ConnectError: connection refused"
    assert 0.8 * SCHEDULE[0] <= _delay_s(delivery) <= 1.2 * SCHEDULE[0]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_a_failure_that_says_so(status: int) -> None:
    delivery = _delivery(1)
    response = httpx.Response(status, headers={"location": "https://elsewhere.example/"})

    attempt = _settle(delivery, response)

    assert delivery.status == PENDING
    assert delivery.next_attempt_at is not None
    assert "Redirect" in attempt.error and str(status) in attempt.error
    assert delivery.last_error == attempt.error


def test_410_gone_stops_retrying_at_once() -> None:
    delivery = _delivery(1)

    _settle(delivery, httpx.Response(410))

    assert delivery.status == DEAD
    assert delivery.next_attempt_at is None
    assert delivery.last_error == "Receiver answered HTTP 410"


def test_a_failure_after_the_last_scheduled_retry_is_dead() -> None:
    delivery = _delivery(len(SCHEDULE) + 1)

    _settle(delivery, httpx.Response(500))

    assert delivery.status == DEAD
    assert delivery.next_attempt_at is None


def test_a_custom_schedule_sets_how_many_retries_there_are() -> None:
    second, third = _delivery(2), _delivery(3)

    _settle(second, httpx.Response(500), schedule=(1, 2))
    _settle(third, httpx.Response(500), schedule=(1, 2))

    assert second.status == PENDING and 1.6 <= _delay_s(second) <= 2.4
    assert third.status == DEAD


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_wins_over_a_shorter_schedule(status: int) -> None:
    delivery = _delivery(1)  # the schedule says 5 s

    _settle(delivery, httpx.Response(status, headers={"Retry-After": "120"}))

    assert delivery.status == PENDING
    assert 120 <= _delay_s(delivery) <= 121


def test_retry_after_as_an_http_date_is_honoured() -> None:
    delivery = _delivery(1)
    later = format_datetime(NOW + timedelta(minutes=10), usegmt=True)

    _settle(delivery, httpx.Response(429, headers={"Retry-After": later}))

    assert _delay_s(delivery) == pytest.approx(600)


def test_retry_after_never_shortens_the_schedule() -> None:
    delivery = _delivery(3)  # the schedule says 30 min

    _settle(delivery, httpx.Response(429, headers={"Retry-After": "1"}))

    assert _delay_s(delivery) >= 0.8 * SCHEDULE[2]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),  # already past
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_s_reads_both_forms(header: str, expected: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})

    assert retry_after_s(response, NOW) == expected


def test_the_default_schedule_gives_up_after_about_75_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: 1.0)  # no jitter
    delivery, total_s, attempts = _delivery(0), 0.0, 0

    while delivery.status == PENDING:
        attempts += 1
        delivery.attempt_count = attempts
        _settle(delivery, httpx.Response(500))
        if delivery.next_attempt_at is not None:
            total_s += _delay_s(delivery)

    assert attempts == len(SCHEDULE) + 1 == 10
    assert 74 * 3600 < total_s < 77 * 3600


@pytest.mark.parametrize(
    "retry_after",
    ["86400", format_datetime(NOW + timedelta(days=3), usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_retry_after_is_capped_at_one_hour(retry_after: str) -> None:
    delivery = _delivery(1)  # the schedule says 5 s

    _settle(delivery, httpx.Response(429, headers={"Retry-After": retry_after}))

    assert delivery.status == PENDING
    assert _delay_s(delivery) == RETRY_AFTER_CAP_S == 3600


def test_retry_after_never_reaches_past_the_retry_horizon() -> None:
    horizon_s = sum(SCHEDULE)  # about 75.6 h after the first try
    delivery = _delivery(2, first_try=NOW - timedelta(seconds=horizon_s - 600))

    _settle(delivery, httpx.Response(503, headers={"Retry-After": "3600"}))

    assert delivery.status == PENDING
    assert _delay_s(delivery) == pytest.approx(600)  # the horizon, not the hour asked for


def test_a_scheduled_retry_never_reaches_past_the_retry_horizon() -> None:
    delivery = _delivery(5, first_try=NOW - timedelta(seconds=sum(SCHEDULE) - 60))

    _settle(delivery, httpx.Response(500))  # the schedule says 5 h

    assert delivery.status == PENDING
    assert _delay_s(delivery) == pytest.approx(60)


@pytest.mark.parametrize("status", [500, 429])
def test_a_failure_past_the_retry_horizon_is_dead(status: int) -> None:
    """A dead delivery sent again by hand days later gets that one try, no new schedule."""
    delivery = _delivery(3, first_try=NOW - timedelta(seconds=sum(SCHEDULE) + 1))

    _settle(delivery, httpx.Response(status, headers={"Retry-After": "10"}))

    assert delivery.status == DEAD
    assert delivery.next_attempt_at is None
    assert delivery.last_error == f"Receiver answered HTTP {status}"

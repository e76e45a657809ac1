"""What the delivery worker does with each kind of answer from a real receiver.

The worker runs by hand on a clock the test moves (``run_once`` after ``clock.advance``),
so the retry schedule is followed exactly and no test sleeps through a backoff.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv
from install_service.security.keys import load_keys
from install_service.settings import DEFAULT_WEBHOOK_RETRY_SCHEDULE_S, Settings
from install_service.webhooks.outbox import enqueue
from install_service.webhooks.worker import DeliveryWorker
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.receiver import Receiver, Reply

pytestmark = pytest.mark.usefixtures("backend")

ATTEMPTS = "SELECT status_code, error, latency_ms FROM webhook_attempt ORDER BY attempted_at"
DELIVERY = (
    "SELECT status, attempt_count, next_attempt_at, last_error, message_id FROM webhook_delivery"
)


def _utc(value: datetime | str) -> datetime:
    """A timestamp column read with raw SQL (SQLite gives text, PostgreSQL a datetime)."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Outbox:
    worker: DeliveryWorker
    rival: DeliveryWorker  # a second worker (another process) on the same outbox and clock
    clock: Clock
    database_url: str

    async def delivery(self) -> dict:
        [row] = await rows(self.database_url, DELIVERY)
        return row

    async def attempts(self) -> list[dict]:
        return await rows(self.database_url, ATTEMPTS)


@pytest.fixture
def attempt_timeout_s() -> float:
    """The workers' ``webhook_timeout_s``; a test may parametrize it."""
    return 0.5


@pytest.fixture
async def outbox(
    settings: Settings, isv: IsvFixture, attempt_timeout_s: float
) -> AsyncIterator[Outbox]:
    """One pending delivery for the ISV whose webhook URL is the ``receiver``, and two
    workers on the production retry schedule (5 s, 5 min, ...) and a 0.5 s timeout."""
    settings = replace(
        settings,
        webhook_retry_schedule_s=DEFAULT_WEBHOOK_RETRY_SCHEDULE_S,
        webhook_timeout_s=attempt_timeout_s,
    )
    config = sqlalchemy_config(settings.database_url)
    async with config.get_session() as session:
        enqueue(
            session,
            await session.get(Isv, uuid.UUID(isv.isv_id)),
            "installation.completed",
            {"success": True},
            environment="development",
        )
        await session.commit()
    clock = Clock(datetime.now(UTC) + timedelta(seconds=1))
    workers = [
        DeliveryWorker(config.create_session_maker(), load_keys(settings), settings, clock=clock)
        for _ in range(2)
    ]
    for worker in workers:
        await worker.open()
    try:
        yield Outbox(*workers, clock, settings.database_url)
    finally:
        for worker in workers:
            await worker.stop()
        await config.get_engine().dispose()


async def test_500_500_200_is_three_attempts_with_one_webhook_id(
    outbox: Outbox, receiver: Receiver
) -> None:
    receiver.replies = [Reply(500), Reply(500)]
    assert await outbox.worker.run_once() == 1
    assert await outbox.worker.run_once() == 0  # not due again before its backoff
    outbox.clock.advance(5 * 1.2)  # first retry: 5 s, +20 % at most
    assert await outbox.worker.run_once() == 1
    outbox.clock.advance(299 * 0.8 - 1)  # second retry: 5 min -20 % at least, not yet
    assert await outbox.worker.run_once() == 0
    outbox.clock.advance(300 * 1.2)
    assert await outbox.worker.run_once() == 1

    assert [a["status_code"] for a in await outbox.attempts()] == [500, 500, 200]
    delivery = await outbox.delivery()
    assert delivery["status"] == "delivered" and delivery["attempt_count"] == 3
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {delivery["message_id"]}
    timestamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert timestamps == sorted(set(timestamps))  # fresh on each attempt, following the clock
    outbox.clock.advance(86400)
    assert await outbox.worker.run_once() == 0 and len(receiver.requests) == 3


async def test_a_redirect_is_a_failure_and_is_not_followed(
    outbox: Outbox, receiver: Receiver
) -> None:
    receiver.replies = [Reply(302, headers={"location": receiver.url + "/elsewhere"})]
    assert await outbox.worker.run_once() == 1
    assert [r.path for r in receiver.requests] == ["/hook"]  # the Location was never visited
    [attempt] = await outbox.attempts()
    assert attempt["status_code"] == 302 and "not followed" in attempt["error"]
    delivery = await outbox.delivery()
    assert delivery["status"] == "pending" and "not followed" in delivery["last_error"]


async def test_a_hanging_receiver_is_cut_at_the_timeout(outbox: Outbox, receiver: Receiver) -> None:
    receiver.replies = [Reply(200, delay_s=3.0)]
    assert await outbox.worker.run_once() == 1
    [attempt] = await outbox.attempts()
    assert attempt["status_code"] is None and attempt["error"] == "No answer within 0.5 s"
    assert 500 <= attempt["latency_ms"] < 2500
    assert (await outbox.delivery())["status"] == "pending"  # retried later, not lost


async def test_a_receiver_trickling_its_answer_is_cut_at_the_deadline(
    outbox: Outbox, receiver: Receiver
) -> None:
    """Status and headers at once, then one body byte every 0.1 s (5 s in all): every read
    is quick, so only one deadline over the whole attempt can stop it."""
    receiver.replies = [Reply(200, b"x" * 50, trickle_s=0.1)]
    started = time.monotonic()
    assert await outbox.worker.run_once() == 1
    assert time.monotonic() - started < 2.5  # the worker is free again, not held for 5 s
    [attempt] = await outbox.attempts()
    assert attempt["status_code"] is None and attempt["error"] == "No answer within 0.5 s"
    assert 500 <= attempt["latency_ms"] < 1500
    delivery = await outbox.delivery()
    assert delivery["status"] == "pending" and delivery["attempt_count"] == 1


@pytest.mark.parametrize("attempt_timeout_s", [10.0])  # the receiver, not the deadline, decides
async def test_a_worker_whose_lease_was_taken_over_records_nothing(
    outbox: Outbox, receiver: Receiver
) -> None:
    """The first worker's attempt outlives its lease (the clock jumps past it while the
    receiver holds the answer); the rival claims the delivery and delivers it. The first
    worker's late 500 must not undo that, nor add an attempt."""
    answer_first = threading.Event()
    receiver.replies = [Reply(500, hold=answer_first), Reply(200)]
    first = asyncio.create_task(outbox.worker.run_once())
    try:
        await asyncio.to_thread(receiver.wait_for, 1, answered=False)
        outbox.clock.advance(3600)  # far past the first lease (timeout + margin: 20 s)
        assert await outbox.rival.run_once() == 1
    finally:
        answer_first.set()
    assert await first == 1

    assert [a["status_code"] for a in await outbox.attempts()] == [200]
    delivery = await outbox.delivery()
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 1)
    assert delivery["last_error"] is None
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery["message_id"]}
    outbox.clock.advance(86400)
    assert await outbox.worker.run_once() == 0 and len(receiver.requests) == 2


@pytest.mark.parametrize("attempt_timeout_s", [10.0])
async def test_a_worker_whose_lease_expired_records_nothing_and_the_delivery_is_retried(
    outbox: Outbox, receiver: Receiver
) -> None:
    """Nobody took the expired lease over, but it is no longer the worker's to write
    under: the answer is dropped and the next claim sends the webhook again."""
    answer = threading.Event()
    receiver.replies = [Reply(200, hold=answer)]
    first = asyncio.create_task(outbox.worker.run_once())
    try:
        await asyncio.to_thread(receiver.wait_for, 1, answered=False)
        outbox.clock.advance(3600)
    finally:
        answer.set()
    assert await first == 1
    assert await outbox.attempts() == []
    delivery = await outbox.delivery()
    assert (delivery["status"], delivery["attempt_count"]) == ("pending", 0)

    assert await outbox.worker.run_once() == 1
    assert [a["status_code"] for a in await outbox.attempts()] == [200]
    assert (await outbox.delivery())["status"] == "delivered"
    assert len(receiver.requests) == 2


async def test_429_retry_after_120_waits_at_least_120_seconds(
    outbox: Outbox, receiver: Receiver
) -> None:
    receiver.replies = [Reply(429, headers={"retry-after": "120"})]
    started = outbox.clock.now
    assert await outbox.worker.run_once() == 1
    delivery = await outbox.delivery()
    assert _utc(delivery["next_attempt_at"]) - started >= timedelta(seconds=120)
    outbox.clock.advance(119)
    assert await outbox.worker.run_once() == 0 and len(receiver.requests) == 1
    outbox.clock.advance(2)
    assert await outbox.worker.run_once() == 1 and len(receiver.requests) == 2
    assert (await outbox.delivery())["status"] == "delivered"


async def test_410_stops_the_delivery_and_marks_it(outbox: Outbox, receiver: Receiver) -> None:
    receiver.replies = [Reply(410, b'{"error":"gone"}')]
    assert await outbox.worker.run_once() == 1
    delivery = await outbox.delivery()
    assert delivery["status"] == "dead" and delivery["next_attempt_at"] is None
    assert "410" in delivery["last_error"]
    outbox.clock.advance(30 * 86400)
    assert await outbox.worker.run_once() == 0 and len(receiver.requests) == 1

"""The delivery worker: sends outbox rows to ISV webhook URLs, retrying with backoff.

Runs as a task in the app's lifespan. Each round it claims due deliveries with a lease
(``locked_until`` and a fresh ``lease_token``) through a conditional UPDATE, so several
service processes can share the outbox without sending the same attempt twice (on
PostgreSQL the candidate SELECT also uses ``FOR UPDATE SKIP LOCKED``). A process killed
mid-attempt leaves its lease to expire, and the delivery is retried: at-least-once, never
lost. An attempt's result is written only by the lease's holder, while the lease lasts
(an UPDATE conditioned on both); a worker whose lease ran out or was taken over records
nothing, so it can never overwrite the newer claim's result.

One attempt has one deadline, ``webhook_timeout_s``, for resolving, connecting, sending
and reading the answer together: a receiver trickling its answer byte by byte is cut at
the deadline like one that never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.db.models import Isv, WebhookAttempt, WebhookDelivery
from install_service.db.models.webhooks import PENDING
from install_service.db.transactions import write_transaction
from install_service.security.keys import KeyRing
from install_service.security.ssrf import UnsafeWebhookUrl, pin
from install_service.settings import Settings
from install_service.webhooks.outbox import add_waker, remove_waker, target_url
from install_service.webhooks.retries import settle
from install_service.webhooks.signing import alloy_signature, standard_webhook_headers

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RESPONSE_BODY_LIMIT = 1024  # bytes of the receiver's answer kept per attempt
MAX_LEASE_MARGIN_S = 15.0  # time allowed after an attempt's timeout to record its result


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    """Delivers pending webhooks; ``wake()`` makes it look at the outbox at once."""

    def __init__(
        self,
        session_maker: async_sessionmaker[AsyncSession],
        keys: KeyRing,
        settings: Settings,
        *,
        clock: Clock = _utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._session_maker = session_maker
        self._keys = keys
        self._settings = settings
        self._clock = clock
        self._transport = transport
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._held: set[str] = set()  # lease tokens of the attempts under way
        # A claimed delivery whose worker died is free again after the lease: the timeout plus
        # a margin (the timeout itself, at most 15 s) for writing the result down.
        timeout = settings.webhook_timeout_s
        self._lease = timedelta(seconds=timeout + min(timeout, MAX_LEASE_MARGIN_S))

    def wake(self) -> None:
        """Look at the outbox now. Thread-safe: commits call this from whichever thread (and
        event loop) they ran in, which need not be the worker's."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wakeup.set)

    async def open(self) -> None:
        """Open the HTTP client; enough for driving ``run_once`` by hand (tests, tools)."""
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(self._settings.webhook_timeout_s),
            transport=self._transport,
            headers={
                "user-agent": "install-service-webhooks/1",
                "content-type": "application/json",
            },
        )

    async def start(self) -> None:
        """Open the client and run the delivery loop until ``stop()``."""
        await self.open()
        self._loop = asyncio.get_running_loop()
        add_waker(self.wake)
        self._task = asyncio.create_task(self._run(), name="webhook-delivery-worker")

    async def stop(self) -> None:
        """Stop the loop; the leases of attempts cut short are handed back, so another
        process (or this one, restarted) retries those deliveries at once, not after the
        lease. A cut attempt may have reached the receiver: at-least-once."""
        remove_waker(self.wake)
        held = set(self._held)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if held:
            async with self._session_maker() as session, write_transaction(session):
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.lease_token.in_(held), WebhookDelivery.status == PENDING)
                    .values(locked_until=None, lease_token=None)
                )
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                sent = await self.run_once()
            except Exception:  # a broken round must not kill the worker; it retries next round
                logger.exception("webhook delivery round failed")
                sent = 0
            if sent:
                continue
            idle_s = await self._idle_wait_s()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), idle_s)

    async def _idle_wait_s(self) -> float:
        """Sleep until the next due delivery, at most the poll interval."""
        async with self._session_maker() as session:
            due = await session.scalar(
                select(func.min(WebhookDelivery.next_attempt_at)).where(
                    WebhookDelivery.status == PENDING
                )
            )
        if due is None:
            return self._settings.webhook_poll_interval_s
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, 0.05), self._settings.webhook_poll_interval_s)

    async def run_once(self, limit: int = 16) -> int:
        """Claim and attempt up to ``limit`` due deliveries; returns how many were attempted."""
        claimed = await self._claim(limit)
        tokens = {token for _, token in claimed}
        self._held |= tokens
        try:
            await asyncio.gather(*(self._attempt(*lease) for lease in claimed))
        finally:
            self._held -= tokens
        return len(claimed)

    async def _claim(self, limit: int) -> list[tuple[UUID, str]]:
        """Lease up to ``limit`` due deliveries; returns (delivery id, lease token) pairs."""
        now = self._clock()
        free = or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now)
        due = (WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now, free)
        async with self._session_maker() as session, write_transaction(session):
            query = (
                select(WebhookDelivery.id)
                .where(*due)
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for delivery_id in (await session.scalars(query)).all():
                token = uuid.uuid4().hex
                result = await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id == delivery_id, *due)
                    .values(locked_until=now + self._lease, lease_token=token)
                )
                if result.rowcount == 1:
                    claimed.append((delivery_id, token))
        return claimed

    async def _attempt(self, delivery_id: UUID, lease_token: str) -> None:
        """One HTTP try. No database transaction is held while the receiver is called."""
        async with self._session_maker() as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            isv = await session.get(Isv, delivery.isv_id) if delivery else None
        if delivery is None or isv is None:
            return
        started = self._clock()
        url = target_url(isv, delivery.event_type)
        attempt = WebhookAttempt(delivery_id=delivery.id, attempted_at=started, url=url or "")
        response = await self._send(delivery, isv, url, attempt, started)
        delivery.attempt_count += 1  # a detached copy: the UPDATE below writes the count
        values = settle(
            delivery, attempt, response, started, self._settings.webhook_retry_schedule_s
        )
        await self._record(delivery, lease_token, attempt, values)

    async def _record(
        self,
        delivery: WebhookDelivery,
        lease_token: str,
        attempt: WebhookAttempt,
        values: dict[str, Any],
    ) -> bool:
        """Write the attempt and its outcome if this worker still holds the lease.

        Returns False, having written nothing, when the lease expired or another claim
        (or a redelivery) replaced it: the delivery is the newer holder's now.
        """
        held = (
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.lease_token == lease_token,
            WebhookDelivery.locked_until >= self._clock(),
        )
        async with self._session_maker() as session, write_transaction(session):
            result = await session.execute(
                update(WebhookDelivery)
                .where(*held)
                .values(
                    **values,
                    attempt_count=delivery.attempt_count,
                    locked_until=None,
                    lease_token=None,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                logger.warning(
                    "webhook delivery %s: lease lost during the attempt, result not recorded",
                    delivery.id,
                )
                return False
            session.add(attempt)
        return True

    async def _send(
        self,
        delivery: WebhookDelivery,
        isv: Isv,
        url: str | None,
        attempt: WebhookAttempt,
        now: datetime,
    ) -> httpx.Response | None:
        """POST ``delivery`` to ``url`` (see ``outbox.target_url``), signed with ``isv``'s
        secrets; the answer, or None with ``attempt.error`` set."""
        if not url:
            attempt.error = "The ISV has no webhook URL configured"
            return None
        body = delivery.payload.encode()
        secrets = [isv.webhook_secret]
        if isv.previous_webhook_secret and (isv.previous_webhook_secret_expires_at or now) > now:
            secrets.append(isv.previous_webhook_secret)
        headers = standard_webhook_headers(delivery.message_id, now, body, secrets)
        headers["x-alloy-signature"] = alloy_signature(
            self._keys.webhook_private_key, "POST", url, body
        )
        assert self._client is not None, "start() the worker first"
        timeout_s = self._settings.webhook_timeout_s
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                return await self._post(url, body, headers, attempt)
        except UnsafeWebhookUrl as exc:
            attempt.error = exc.message
        except (TimeoutError, httpx.TimeoutException):
            attempt.status_code = attempt.response_body = None  # cut before the answer ended
            attempt.error = f"No answer within {timeout_s:g} s"
        except httpx.HTTPError as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"[:1000]
        finally:
            attempt.latency_ms = round((time.perf_counter() - started) * 1000)
        return None

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], attempt: WebhookAttempt
    ) -> httpx.Response:
        """Resolve and check ``url``'s host, POST to the checked address, read the answer
        (its first ``RESPONSE_BODY_LIMIT`` bytes) into ``attempt``.

        Raises:
            UnsafeWebhookUrl: the host resolves to a refused address (``security.ssrf``).
            httpx.HTTPError: the request failed.
        """
        assert self._client is not None
        target = await pin(url, allow_private=self._settings.webhook_allow_private)
        headers["host"] = target.host_header
        async with self._client.stream(
            "POST",
            target.connect_url,
            content=body,
            headers=headers,
            extensions={"sni_hostname": target.server_name},
        ) as response:
            received = b""
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) >= RESPONSE_BODY_LIMIT:
                    break
            attempt.status_code = response.status_code
            attempt.response_body = received[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace")
            return response

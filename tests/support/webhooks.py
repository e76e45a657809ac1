"""Verifying webhooks as an ISV would (the standardwebhooks library and cryptography), and
waiting for the delivery worker to be done."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from standardwebhooks.webhooks import Webhook

from install_service.db.models.webhooks import PENDING
from tests.support.db_rows import rows
from tests.support.installs import eventually
from tests.support.receiver import ReceivedRequest


def verify_both(request: ReceivedRequest, url: str, secret: str, public_key_pem: bytes) -> None:
    """Raises if either signature is wrong."""
    Webhook(secret).verify(request.body, request.headers)
    key = serialization.load_pem_public_key(public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        bytes.fromhex(request.headers["x-alloy-signature"]),
        b"POST" + url.encode() + request.body,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


async def settled_deliveries(
    database_url: str,
    timeout_s: float = 15.0,
    *,
    payload_contains: str = "",
    event_type: str = "%",
) -> list[dict[str, Any]]:
    """Wait until no ``webhook_delivery`` row (whose payload contains ``payload_contains``,
    e.g. a userId, and whose event type is like ``event_type``) is pending (each is delivered or dead), then return those rows with their
    attempt counts. From then on the worker has nothing left to send them, so "no second
    webhook" is proven by the database, not by waiting a while."""

    async def settled() -> list[dict[str, Any]] | None:
        found = await rows(
            database_url,
            "SELECT d.id, d.status, d.attempt_count, "
            "(SELECT count(*) FROM webhook_attempt a WHERE a.delivery_id = d.id) AS attempts "
            "FROM webhook_delivery d WHERE d.payload LIKE :like AND d.event_type LIKE :type",
            like=f"%{payload_contains}%",
            type=event_type,
        )
        return found if found and all(r["status"] != PENDING for r in found) else None

    return await eventually(settled, timeout_s=timeout_s)


def settled_deliveries_blocking(database_url: str, **options: Any) -> list[dict[str, Any]]:
    """``settled_deliveries`` for synchronous callers, even those whose thread already runs
    an event loop (Playwright's sync API): it runs on a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, settled_deliveries(database_url, **options)).result()


def is_installation_webhook(request: ReceivedRequest, user_id: str) -> bool:
    """The installation webhook of ``user_id`` (the receiver may also be the ISV's error
    webhook URL, which gets ``workflow.failed``)."""
    body = json.loads(request.body)
    return body.get("userId") == user_id and "integrationId" in body

"""The sandbox store playing BigCommerce's side of a webhook: "Create order" on /demo/store
adds an order, then POSTs BigCommerce's callback to every active ``store/order/created``
hook, over real HTTP, as BigCommerce would.

A callback carries the hook's own headers (the install's ``X-Hook-Secret`` among them) and
BigCommerce's light payload ``{"scope", "store_id", "data": {"type": "order", "id": int},
"hash", "created_at", "producer": "stores/{store_hash}"}`` with a fresh random ``hash``
(per BigCommerce's Webhooks docs, see ``catalog/apps/bigcommerce.py``). The sandbox does
not redeliver: what each destination answered is shown, not retried.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

import httpx

from install_service.demo.sandbox import ORDER_CREATED, SandboxHook, SandboxOrder, SandboxStore

SANDBOX_STORE_ID = "1000001"  # BigCommerce's numeric store id, sent as text in callbacks
CALLBACK_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One callback: the destination's HTTP status, or ``error`` when none came back."""

    hook_id: int
    destination: str
    status_code: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class OrderCreated:
    order: SandboxOrder
    deliveries: list[Delivery]


def callback_payload(hook: SandboxHook, order_id: int) -> dict:
    return {
        "scope": hook.scope,
        "store_id": SANDBOX_STORE_ID,
        "data": {"type": "order", "id": order_id},
        "hash": secrets.token_hex(20),
        "created_at": int(time.time()),
        "producer": f"stores/{hook.store_hash}",
    }


async def create_order(sandbox: SandboxStore, client: httpx.AsyncClient) -> OrderCreated:
    """Store a new order, then send its ``store/order/created`` callbacks one by one; a
    destination that fails (refuses, times out after CALLBACK_TIMEOUT_S) is recorded and
    the next one still gets its callback."""
    order = sandbox.create_order()
    deliveries = [
        await _deliver(client, hook, order.id) for hook in sandbox.active_hooks(ORDER_CREATED)
    ]
    return OrderCreated(order, deliveries)


async def _deliver(client: httpx.AsyncClient, hook: SandboxHook, order_id: int) -> Delivery:
    body = json.dumps(callback_payload(hook, order_id)).encode()
    try:
        response = await client.post(
            hook.destination,
            content=body,
            headers={**hook.headers, "content-type": "application/json"},
            timeout=CALLBACK_TIMEOUT_S,
        )
    except httpx.TimeoutException:
        return Delivery(hook.id, hook.destination, error="no answer in time")
    except httpx.HTTPError as exc:
        return Delivery(hook.id, hook.destination, error=f"not reachable ({type(exc).__name__})")
    return Delivery(hook.id, hook.destination, status_code=response.status_code)

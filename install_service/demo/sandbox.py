"""The demo's BigCommerce sandbox store: a few orders the installed workflow can change.

In memory (kept in ``app.state`` by the demo controllers): one store for every store hash,
seeded with orders 101-103 "Awaiting Fulfillment", lost when the server stops. Only the
demo uses it; the shapes follow BigCommerce's Orders API v2 (see
``catalog/apps/bigcommerce.py`` for the sources):

- an order is ``{"id", "status_id", "status", "date_modified", "customer_name",
  "total_inc_tax", "currency_code"}`` (a subset of BigCommerce's V2 order);
- errors are V2 errors, ``[{"status": int, "message": str}]`` (:class:`SandboxError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from install_service.catalog.apps.bigcommerce import STATUS_IDS

STATUS_NAMES = {status_id: name.title() for name, status_id in STATUS_IDS.items()}
AWAITING_FULFILLMENT = STATUS_IDS["awaiting fulfillment"]
SEED_ORDERS = (
    (101, "Ada Lovelace", "149.00"),
    (102, "Grace Hopper", "42.50"),
    (103, "Alan Turing", "310.99"),
)


class SandboxError(Exception):
    """A refused sandbox call: ``status`` and a V2 error ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> list[dict[str, Any]]:
        return [{"status": self.status, "message": self.message}]


class OrderNotFound(SandboxError):
    def __init__(self, order_id: str) -> None:
        super().__init__(404, f"The order {order_id} was not found in the sandbox store.")


class InvalidStatus(SandboxError):
    def __init__(self) -> None:
        ids = ", ".join(f"{i} ({n})" for i, n in STATUS_NAMES.items())
        super().__init__(400, f"The field 'status_id' is invalid; use one of: {ids}.")


@dataclass(slots=True)
class SandboxOrder:
    id: int
    customer_name: str
    total_inc_tax: str
    status_id: int = AWAITING_FULFILLMENT
    modified_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> str:
        return STATUS_NAMES[self.status_id]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status_id": self.status_id,
            "status": self.status,
            "date_modified": format_datetime(self.modified_at),  # RFC 2822, as V2 answers
            "customer_name": self.customer_name,
            "total_inc_tax": self.total_inc_tax,
            "currency_code": "USD",
        }


@dataclass(slots=True)
class SandboxStore:
    """The sandbox's orders by id, seeded with :data:`SEED_ORDERS`."""

    orders: dict[int, SandboxOrder] = field(
        default_factory=lambda: {i: SandboxOrder(i, name, total) for i, name, total in SEED_ORDERS}
    )

    def listing(self) -> list[SandboxOrder]:
        return sorted(self.orders.values(), key=lambda order: order.id)

    def get(self, order_ref: str) -> SandboxOrder:
        """Raises OrderNotFound (404) for an unknown or non-numeric id."""
        order = self.orders.get(int(order_ref)) if order_ref.isdigit() else None
        if order is None:
            raise OrderNotFound(order_ref)
        return order

    def update(self, order_ref: str, body: Any) -> SandboxOrder:
        """``PUT`` with ``{"status_id": int}`` (1-14; other keys are ignored).

        Raises OrderNotFound (404), InvalidStatus (400)."""
        order = self.get(order_ref)
        status_id = body.get("status_id") if isinstance(body, dict) else None
        if (
            not isinstance(status_id, int)
            or isinstance(status_id, bool)
            or status_id not in STATUS_NAMES
        ):
            raise InvalidStatus
        order.status_id = status_id
        order.modified_at = datetime.now(UTC)
        return order

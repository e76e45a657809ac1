"""The demo's BigCommerce sandbox store: orders the installed workflows read and change,
and the webhooks (hooks) an install registers.

In memory (kept in ``app.state`` by the demo controllers), lost when the server stops: one
order list for every store hash, seeded with orders 101-103 "Awaiting Fulfillment"; hooks
belong to the store hash they were created for. Only the demo uses it; the shapes follow
BigCommerce's Orders API v2 and Webhooks API v3 (see ``catalog/apps/bigcommerce.py`` for
the sources):

- an order is ``{"id", "status_id", "status", "date_modified", "customer_name",
  "total_inc_tax", "currency_code"}`` (a subset of BigCommerce's V2 order);
- a hook is ``{"id", "client_id", "store_hash", "scope", "destination", "headers",
  "is_active", "created_at", "updated_at"}`` (times in Unix seconds), ids counting up
  from 1 across store hashes;
- orders errors are V2 errors, ``[{"status": int, "message": str}]`` (:class:`SandboxError`);
  hooks errors V3 ones, ``{"status", "title", "type"}`` (:class:`V3Error`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from install_service.catalog.apps.bigcommerce import STATUS_IDS

STATUS_NAMES = {status_id: name.title() for name, status_id in STATUS_IDS.items()}
AWAITING_FULFILLMENT = STATUS_IDS["awaiting fulfillment"]
SEED_ORDERS = (
    (101, "Ada Lovelace", "149.00"),
    (102, "Grace Hopper", "42.50"),
    (103, "Alan Turing", "310.99"),
)
# Who "Create order" orders for, in turn, and what they pay.
NEW_CUSTOMERS = (
    ("Katherine Johnson", "64.00"),
    ("Margaret Hamilton", "129.90"),
    ("Edsger Dijkstra", "18.75"),
    ("Barbara Liskov", "240.00"),
    ("Donald Knuth", "2.56"),
)
ORDER_CREATED = "store/order/created"  # BigCommerce's scope for a new order
MAX_HOOKS_PAGE = 250  # hooks per page at most; BigCommerce's default limit is 50
V3_ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


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


class V3Error(SandboxError):
    """A refused hooks call, answered in BigCommerce's V3 error shape."""

    def body(self) -> dict[str, Any]:  # type: ignore[override]
        return {"status": self.status, "title": self.message, "type": V3_ERROR_TYPE}


class HookNotFound(V3Error):
    def __init__(self, hook_ref: str) -> None:
        super().__init__(404, f"The webhook {hook_ref} was not found in this store.")


class InvalidHook(V3Error):
    """422: ``message`` names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(422, message)


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
class SandboxHook:
    id: int
    store_hash: str
    scope: str
    destination: str
    headers: dict[str, str]
    is_active: bool
    created_at: int  # Unix seconds, as BigCommerce answers
    updated_at: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client_id": "sandbox",
            "store_hash": self.store_hash,
            "scope": self.scope,
            "destination": self.destination,
            "headers": dict(self.headers),
            "is_active": self.is_active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(slots=True)
class SandboxStore:
    """The sandbox's orders by id, seeded with :data:`SEED_ORDERS`, and its hooks by id."""

    orders: dict[int, SandboxOrder] = field(
        default_factory=lambda: {i: SandboxOrder(i, name, total) for i, name, total in SEED_ORDERS}
    )
    hooks: dict[int, SandboxHook] = field(default_factory=dict)
    _hook_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _customers: itertools.cycle = field(default_factory=lambda: itertools.cycle(NEW_CUSTOMERS))

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

    def create_order(self) -> SandboxOrder:
        """A new order, "Awaiting Fulfillment", numbered after the newest one."""
        name, total = next(self._customers)
        order = SandboxOrder(max(self.orders, default=100) + 1, name, total)
        self.orders[order.id] = order
        return order

    # ---- Webhooks API v3 ---------------------------------------------------------------

    def create_hook(self, store_hash: str, body: Any) -> SandboxHook:
        """``POST`` with ``{"scope", "destination", "is_active"?, "headers"?}``; active
        unless ``is_active`` is false. Raises InvalidHook (422)."""
        fields = _hook_fields(body, required=("scope", "destination"))
        now = _unix_now()
        hook = SandboxHook(
            id=next(self._hook_ids),
            store_hash=store_hash,
            scope=fields["scope"],
            destination=fields["destination"],
            headers=fields.get("headers", {}),
            is_active=fields.get("is_active", True),
            created_at=now,
            updated_at=now,
        )
        self.hooks[hook.id] = hook
        return hook

    def hooks_page(
        self, store_hash: str, page: int, limit: int
    ) -> tuple[list[SandboxHook], dict[str, Any]]:
        """The store's hooks by id, ``page`` (from 1) of ``limit`` (1-250), and BigCommerce's
        ``meta.pagination`` for it. Raises InvalidHook (422) for a page or limit out of range."""
        if page < 1 or not 1 <= limit <= MAX_HOOKS_PAGE:
            raise InvalidHook(f"page must be 1 or more and limit 1 to {MAX_HOOKS_PAGE}.")
        held = [hook for _, hook in sorted(self.hooks.items()) if hook.store_hash == store_hash]
        total_pages = max(1, -(-len(held) // limit))
        data = held[(page - 1) * limit : page * limit]
        links = {"current": f"?page={page}&limit={limit}"}
        if page > 1:
            links["previous"] = f"?page={page - 1}&limit={limit}"
        if page < total_pages:
            links["next"] = f"?page={page + 1}&limit={limit}"
        pagination = {
            "total": len(held),
            "count": len(data),
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
            "links": links,
        }
        return data, pagination

    def hook(self, store_hash: str, hook_ref: str) -> SandboxHook:
        """Raises HookNotFound (404) for an unknown id or another store's hook."""
        hook = self.hooks.get(int(hook_ref)) if hook_ref.isdigit() else None
        if hook is None or hook.store_hash != store_hash:
            raise HookNotFound(hook_ref)
        return hook

    def update_hook(self, store_hash: str, hook_ref: str, body: Any) -> SandboxHook:
        """``PUT`` with any of ``scope``, ``destination``, ``is_active``, ``headers``.

        Raises HookNotFound (404), InvalidHook (422)."""
        hook = self.hook(store_hash, hook_ref)
        for name, value in _hook_fields(body, required=()).items():
            setattr(hook, name, value)
        hook.updated_at = _unix_now()
        return hook

    def delete_hook(self, store_hash: str, hook_ref: str) -> SandboxHook:
        """Raises HookNotFound (404)."""
        return self.hooks.pop(self.hook(store_hash, hook_ref).id)

    def active_hooks(self, scope: str) -> list[SandboxHook]:
        """Every store hash's active hooks for ``scope``, by id: the orders are one list
        for every store hash, so a new order is news to each of them."""
        return [
            hook for _, hook in sorted(self.hooks.items()) if hook.is_active and hook.scope == scope
        ]


def _hook_fields(body: Any, required: tuple[str, ...]) -> dict[str, Any]:
    """The hook fields in ``body``, checked. Raises InvalidHook naming the first bad one."""
    if not isinstance(body, dict):
        raise InvalidHook("The request body must be a JSON object.")
    for name in required:
        if name not in body:
            raise InvalidHook(f"The field '{name}' is required.")
    fields: dict[str, Any] = {}
    if "scope" in body:
        if not isinstance(body["scope"], str) or not body["scope"].startswith("store/"):
            raise InvalidHook("The field 'scope' must be a scope such as store/order/created.")
        fields["scope"] = body["scope"]
    if "destination" in body:
        url = body["destination"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidHook("The field 'destination' must be an http(s) URL.")
        fields["destination"] = url
    if "is_active" in body:
        if not isinstance(body["is_active"], bool):
            raise InvalidHook("The field 'is_active' must be true or false.")
        fields["is_active"] = body["is_active"]
    if "headers" in body:
        headers = body["headers"]
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise InvalidHook("The field 'headers' must map header names to text.")
        fields["headers"] = dict(headers)
    return fields


def _unix_now() -> int:
    return int(datetime.now(UTC).timestamp())

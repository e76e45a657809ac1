"""BigCommerce's actions (definition: ``bigcommerce.yaml``), on the Orders API v2.

Sources (BigCommerce REST Management API, checked 2026):
  Get an Order, ``GET /stores/{store_hash}/v2/orders/{order_id}``, and Update an Order,
  ``PUT /stores/{store_hash}/v2/orders/{order_id}`` with ``{"status_id": int}``; both
  answer the order:
    https://developer.bigcommerce.com/docs/rest-management/orders
  Order status ids (``GET /v2/order_statuses``; "Incomplete" 0 cannot be set):
    https://developer.bigcommerce.com/docs/rest-management/orders/order-status
  API rate limits: 150 requests per 30 s per store on Standard and Plus plans (Pro: 450);
  a 429 carries ``X-Rate-Limit-Time-Reset-Ms``, the milliseconds until the quota refreshes:
    https://developer.bigcommerce.com/docs/start/best-practices/api-rate-limits
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from install_service.catalog.app_actions import (
    Action,
    ActionCall,
    AppCallError,
    quote_path,
    request_json,
)

STATUS_IDS: Mapping[str, int] = {
    "pending": 1,
    "shipped": 2,
    "partially shipped": 3,
    "refunded": 4,
    "cancelled": 5,
    "declined": 6,
    "awaiting payment": 7,
    "awaiting pickup": 8,
    "awaiting shipment": 9,
    "completed": 10,
    "awaiting fulfillment": 11,
    "manual verification required": 12,
    "disputed": 13,
    "partially refunded": 14,
}
STATUS_ALIASES: Mapping[str, int] = {"canceled": 5}
_ACCEPTED = ", ".join(f"{name.title()} ({id_})" for name, id_ in STATUS_IDS.items())

# The most calls one credential (one store) makes in any 30 s: BigCommerce's Standard plan.
RATE_LIMIT = (150, 30.0)


def status_id(value: object) -> int:
    """A status name (case-insensitive, spaces around ignored) or id (int or digits) → id.

    Raises AppCallError (not transient) naming the accepted values.
    """
    if isinstance(value, str):
        text = " ".join(value.split()).lower()
        if text.isdigit():
            value = int(text)
        elif text in STATUS_IDS or text in STATUS_ALIASES:
            return STATUS_IDS.get(text) or STATUS_ALIASES[text]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in STATUS_IDS.values():
        return value
    raise AppCallError(
        f"{_describe(value)} is not a BigCommerce order status; use one of: {_ACCEPTED}"
    )


def order_id(value: object) -> int:
    """A positive integer, or its digits as a string. Raises AppCallError (not transient)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise AppCallError(f"orderId must be a positive whole number, not {_describe(value)}")


async def update_order_status(call: ActionCall) -> Any:
    """Inputs ``orderId``, ``status``; sets the order's ``status_id``, returns the order."""
    status = status_id(call.inputs.get("status"))
    return await request_json(
        call, "PUT", _order_url(call), headers=_headers(call), json_body={"status_id": status}
    )


async def get_order(call: ActionCall) -> Any:
    """Input ``orderId``; returns the order."""
    return await request_json(call, "GET", _order_url(call), headers=_headers(call))


ACTIONS: Mapping[str, Action] = {
    "update order status": update_order_status,
    "get order": get_order,
}


def _order_url(call: ActionCall) -> str:
    order = order_id(call.inputs.get("orderId"))
    store_hash = str(call.credential.get("storeHash") or "").strip()
    if not store_hash:
        raise AppCallError("The BigCommerce connection has no store hash")
    return f"{call.api_base}/stores/{quote_path(store_hash)}/v2/orders/{order}"


def _headers(call: ActionCall) -> dict[str, str]:
    return {
        "X-Auth-Token": str(call.credential.get("accessToken") or "").strip(),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


def _describe(value: object) -> str:
    """An input as a message shows it: short, so a huge mapped value stays readable."""
    if value is None:
        return "a missing value"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"

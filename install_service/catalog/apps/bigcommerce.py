"""BigCommerce's actions, on the Orders API v2, and its triggers, on the Webhooks API v3
(definition: ``bigcommerce.yaml``).

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
  Webhooks API v3, ``/stores/{store_hash}/v3/hooks``: create (POST ``{"scope",
  "destination", "is_active", "headers"}``; BigCommerce sends those headers with every
  callback), list (GET, ``page``/``limit``, ``meta.pagination.total_pages``), and per hook
  ``/v3/hooks/{id}`` GET, PUT (e.g. ``{"is_active": false}``) and DELETE; answers
  ``{"data": {"id": int, "scope", "destination", "is_active", ...}, "meta": {}}``. A
  callback is a POST of ``{"scope", "store_id", "data": {"type": "order", "id": int},
  "hash", "created_at", "producer": "stores/{store_hash}"}``, a light payload: the order
  itself is fetched with Get an Order:
    https://developer.bigcommerce.com/docs/integrations/webhooks
    https://developer.bigcommerce.com/docs/integrations/webhooks/events#orders
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from install_service.catalog.app_actions import (
    Action,
    ActionCall,
    AppCallError,
    quote_path,
    request_json,
)
from install_service.catalog.app_triggers import Callback, CallbackRejected, Hook, HookCall

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
    order_url = _order_url(call, call.inputs.get("orderId"))
    body = {"status_id": status}
    return await request_json(call, "PUT", order_url, headers=_headers(call), json_body=body)


async def get_order(call: ActionCall) -> Any:
    """Input ``orderId``; returns the order."""
    order_url = _order_url(call, call.inputs.get("orderId"))
    return await request_json(call, "GET", order_url, headers=_headers(call))


ACTIONS: Mapping[str, Action] = {
    "update order status": update_order_status,
    "get order": get_order,
}


TRIGGERS: Mapping[str, str] = {
    "order created": "store/order/created",
    "order updated": "store/order/updated",
    "order status updated": "store/order/statusUpdated",
}
# BigCommerce sends back, in this header of every callback, the secret a hook was created with.
SECRET_HEADER = "X-Hook-Secret"  # noqa: S105 (a header name, not a secret)
HOOKS_PAGE_LIMIT = 250  # hooks per page when listing
MAX_HOOK_PAGES = 40  # a listing stops there (10,000 hooks), however many pages BigCommerce says
# request_json reads only a call's client and timeout_s: a HookCall serves as well.


async def create_hook(call: HookCall, scope: str, destination: str, secret: str) -> Hook:
    """Subscribe ``destination`` to ``scope``, active; each callback carries ``secret`` in
    ``SECRET_HEADER``. Returns the hook BigCommerce made."""
    body = {
        "scope": scope,
        "destination": destination,
        "is_active": True,
        "headers": {SECRET_HEADER: secret},
    }
    answer = await request_json(
        call, "POST", _hooks_url(call), headers=_headers(call), json_body=body
    )
    return _hook(answer.get("data") if isinstance(answer, dict) else None)


async def list_hooks(call: HookCall) -> list[Hook]:
    """Every hook of the store, following ``meta.pagination`` (at most MAX_HOOK_PAGES)."""
    hooks: list[Hook] = []
    for page in range(1, MAX_HOOK_PAGES + 1):
        url = f"{_hooks_url(call)}?page={page}&limit={HOOKS_PAGE_LIMIT}"
        answer = await request_json(call, "GET", url, headers=_headers(call))
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise AppCallError("BigCommerce answered the webhook list in an unexpected shape")
        hooks += [_hook(item) for item in data]
        meta = answer.get("meta")
        pagination = meta.get("pagination") if isinstance(meta, dict) else None
        total_pages = pagination.get("total_pages") if isinstance(pagination, dict) else None
        if not data or not isinstance(total_pages, int) or page >= total_pages:
            break
    return hooks


async def set_hook_active(call: HookCall, hook_id: str, active: bool) -> Hook:
    """Turn the hook on or off (BigCommerce turns off one whose callbacks keep failing)."""
    answer = await request_json(
        call,
        "PUT",
        _hook_url(call, hook_id),
        headers=_headers(call),
        json_body={"is_active": active},
    )
    return _hook(answer.get("data") if isinstance(answer, dict) else None)


async def delete_hook(call: HookCall, hook_id: str) -> None:
    """Delete the hook; one BigCommerce no longer has (404) counts as deleted."""
    try:
        await request_json(call, "DELETE", _hook_url(call, hook_id), headers=_headers(call))
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code != 404:
            raise


async def fetch_trigger_data(call: HookCall, callback: Callback) -> Any:
    """The order the callback is about (Get an Order, V2 shape)."""
    return await request_json(
        call, "GET", _order_url(call, callback.resource_id), headers=_headers(call)
    )


def parse_callback(body: bytes) -> Callback:
    """A callback's raw body in BigCommerce's shape (see the module) → Callback, with the
    order id as ``resource_id`` and ``hash`` as ``dedupe_key``.

    Raises CallbackRejected naming the first key that is missing or of the wrong type.
    """
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise CallbackRejected("The callback body is not JSON") from None
    if not isinstance(payload, dict):
        raise CallbackRejected("The callback body is not a JSON object")
    data = payload.get("data")
    checks = [
        ("scope", _is_text(payload.get("scope")), "text"),
        (
            "store_id",
            _is_text(payload.get("store_id")) or _is_int(payload.get("store_id")),
            "text or a number",
        ),
        ("data", isinstance(data, dict), "an object"),
        ("data.type", isinstance(data, dict) and data.get("type") == "order", '"order"'),
        (
            "data.id",
            isinstance(data, dict) and _is_int(data.get("id")) and data["id"] > 0,
            "a positive whole number",
        ),
        ("hash", _is_text(payload.get("hash")), "text"),
        ("created_at", _is_int(payload.get("created_at")), "a whole number (Unix seconds)"),
        (
            "producer",
            _is_text(payload.get("producer")) and payload["producer"].startswith("stores/"),
            '"stores/{store_hash}"',
        ),
    ]
    for key, ok, expected in checks:
        if not ok:
            raise CallbackRejected(f"The callback's {key} must be {expected}")
    return Callback(
        scope=payload["scope"],
        resource_id=str(data["id"]),
        dedupe_key=payload["hash"],
        payload=payload,
    )


def _store_url(call: ActionCall | HookCall) -> str:
    store_hash = str(call.credential.get("storeHash") or "").strip()
    if not store_hash:
        raise AppCallError("The BigCommerce connection has no store hash")
    return f"{call.api_base}/stores/{quote_path(store_hash)}"


def _order_url(call: ActionCall | HookCall, value: object) -> str:
    order = order_id(value)
    return f"{_store_url(call)}/v2/orders/{order}"


def _hooks_url(call: HookCall) -> str:
    return f"{_store_url(call)}/v3/hooks"


def _hook_url(call: HookCall, hook_id: str) -> str:
    if not (isinstance(hook_id, str) and hook_id.isdigit()):
        raise AppCallError(f"A BigCommerce webhook id is a whole number, not {_describe(hook_id)}")
    return f"{_hooks_url(call)}/{hook_id}"


def _hook(item: object) -> Hook:
    if not (
        isinstance(item, dict)
        and _is_int(item.get("id"))
        and _is_text(item.get("scope"))
        and _is_text(item.get("destination"))
        and isinstance(item.get("is_active"), bool)
    ):
        raise AppCallError("BigCommerce answered with a webhook in an unexpected shape")
    return Hook(str(item["id"]), item["scope"], item["destination"], item["is_active"])


def _headers(call: ActionCall | HookCall) -> dict[str, str]:
    return {
        "X-Auth-Token": str(call.credential.get("accessToken") or "").strip(),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: object) -> str:
    """An input as a message shows it: short, so a huge mapped value stays readable."""
    if value is None:
        return "a missing value"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"

"""A real local stand-in for the BigCommerce API: the connection test and the orders store.

The connector's connection test calls ``GET {api_base}/stores/{storeHash}/v2/store`` with
``X-Auth-Token`` (catalog/apps/bigcommerce.yaml); that and any other path is answered like
``Receiver`` does (``replies``, then ``default``: the store, 200). ``/stores/{hash}/v2/orders/{id}``
(GET and PUT) is a small stateful store instead, answering in BigCommerce's V2 shapes:

- ``X-Auth-Token`` must equal the token ``set_token`` gave the store (any non-empty one
  when none was set), else 401 ``[{"status": 401, "message": ...}]``;
- an unknown order → 404; a PUT whose ``status_id`` is not 1–14 → 400; a PUT sets
  ``status_id`` and ``status`` (the name) and answers the whole order, as GET does.

Faults, for the next orders calls, in the order they were asked for: ``rate_limit_next``
(429 with ``X-Rate-Limit-Time-Reset-Ms``), ``unavailable_next`` (503), ``error_next`` (any
status and V2 message), all leaving the store untouched; ``hang_next`` (the call changes the store on arrival but is answered only
once the returned event is set; ``stop()`` sets them all). ``wait_for_orders_call(n)``
blocks on a condition until the n-th orders call arrived.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from urllib.parse import urlsplit

from tests.support.receiver import ReceivedRequest, Receiver, Reply

JSON = {"content-type": "application/json"}
STORE = {"id": "abc123", "domain": "acme.example.com", "name": "Acme Store"}
# Per BigCommerce's Order Status reference (GET /v2/order_statuses); 0 "Incomplete" cannot be set.
STATUS_NAMES = {
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
ORDER_PATH = re.compile(r"/stores/(?P<store>[^/]+)/v2/orders/(?P<order>[^/]+)")
WRONG_TOKEN = "You are not authorized to access this resource."
NOT_FOUND = "The requested resource was not found."
INVALID_STATUS = "The field 'status_id' is invalid."


def is_orders_call(request: ReceivedRequest) -> bool:
    return ORDER_PATH.fullmatch(urlsplit(request.path).path) is not None


def _v2_error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps([{"status": status, "message": message}]).encode()
    return Reply(status, body, {**JSON, **(headers or {})})


class FakeBigCommerce(Receiver):
    """Answers ``STORE`` (200) by default; ``refuse()`` makes that answer 401. See the module."""

    def __init__(self) -> None:
        super().__init__()
        self.default = Reply(200, json.dumps(STORE).encode(), JSON)
        self._lock = threading.Lock()
        self._orders: dict[tuple[str, int], dict] = {}
        self._tokens: dict[str, str] = {}
        self._faults: list[Reply | threading.Event] = []
        self._holds: list[threading.Event] = []

    @property
    def api_base(self) -> str:
        """What ``Settings.app_api_bases["bigcommerce"]`` should be."""
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, title: str = "Invalid token for this store") -> None:
        """Answer the connection test like BigCommerce does for a wrong token (V3 shape)."""
        self.default = Reply(401, json.dumps({"status": 401, "title": title}).encode(), JSON)

    def set_token(self, store_hash: str, token: str) -> None:
        """Orders calls for ``store_hash`` must send this ``X-Auth-Token`` from now on."""
        with self._lock:
            self._tokens[store_hash] = token

    def add_order(self, store_hash: str, order_id: int, status_id: int = 11, **fields) -> dict:
        """Put an order in the store (replacing one with that id); returns a copy of it."""
        order = {"id": order_id, **fields, "status_id": status_id}
        order["status"] = STATUS_NAMES[status_id]
        with self._lock:
            self._orders[(store_hash, order_id)] = order
            return dict(order)

    def order(self, store_hash: str, order_id: int) -> dict:
        """A copy of the order as the store holds it now; KeyError if there is none."""
        with self._lock:
            return dict(self._orders[(store_hash, order_id)])

    def rate_limit_next(self, count: int = 1, reset_ms: int = 1500) -> None:
        """The next ``count`` orders calls answer 429, quota refreshed in ``reset_ms``."""
        headers = {
            "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
            "X-Rate-Limit-Time-Window-Ms": "30000",
            "X-Rate-Limit-Requests-Left": "0",
            "X-Rate-Limit-Requests-Quota": "150",
        }
        body = json.dumps({"status": 429, "title": "Too many requests"}).encode()
        with self._lock:
            self._faults += [Reply(429, body, {**JSON, **headers})] * count

    def unavailable_next(self, count: int = 1) -> None:
        """The next ``count`` orders calls answer 503."""
        self.error_next(503, "Service Unavailable", count)

    def error_next(self, status: int, message: str, count: int = 1) -> None:
        """The next ``count`` orders calls answer ``status`` with a V2 error ``message``."""
        with self._lock:
            self._faults += [_v2_error(status, message)] * count

    def hang_next(self, count: int = 1) -> threading.Event:
        """The next ``count`` orders calls are answered only once the returned event is set."""
        release = threading.Event()
        with self._lock:
            self._holds.append(release)
            self._faults += [release] * count
        return release

    def orders_calls(self, *, answered: bool = False) -> list[ReceivedRequest]:
        """Orders calls so far: arrived (default) or answered."""
        with self._arrived:
            return [r for r in (self.requests if answered else self.arrivals) if is_orders_call(r)]

    def wait_for_orders_call(
        self, n: int, timeout_s: float = 15.0, *, answered: bool = False
    ) -> ReceivedRequest:
        """Block until the ``n``-th orders call arrived (or was answered); return it.

        Raises TimeoutError after ``timeout_s`` seconds."""
        return self.wait_for(n, timeout_s, is_orders_call, answered=answered)[n - 1]

    def stop(self) -> None:
        with self._lock:
            for release in self._holds:
                release.set()
        super().stop()

    def reply_for(self, request: ReceivedRequest) -> Reply:
        match = ORDER_PATH.fullmatch(urlsplit(request.path).path)
        if match is None or request.method not in ("GET", "PUT"):
            return super().reply_for(request)
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            if isinstance(fault, Reply):
                return fault
            reply = self._orders_reply(request, match["store"], match["order"])
        return reply if fault is None else replace(reply, hold=fault)

    def _orders_reply(self, request: ReceivedRequest, store_hash: str, raw_id: str) -> Reply:
        token = request.headers.get("x-auth-token", "")
        expected = self._tokens.get(store_hash)
        if not token or (expected is not None and token != expected):
            return _v2_error(401, WRONG_TOKEN)
        order = self._orders.get((store_hash, int(raw_id))) if raw_id.isdigit() else None
        if order is None:
            return _v2_error(404, NOT_FOUND)
        if request.method == "PUT":
            try:
                new_status = json.loads(request.body or b"{}").get("status_id")
            except (ValueError, AttributeError):
                return _v2_error(400, "The request body is not valid JSON.")
            if type(new_status) is not int or new_status not in STATUS_NAMES:
                return _v2_error(400, INVALID_STATUS)
            order.update(status_id=new_status, status=STATUS_NAMES[new_status])
        return Reply(200, json.dumps(order).encode(), JSON)

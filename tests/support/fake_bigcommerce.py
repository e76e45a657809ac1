"""A real local stand-in for the BigCommerce API: the connection test, the orders store
and the webhooks (hooks) store.

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

``/stores/{hash}/v3/hooks`` (GET a page: ``page``, ``limit`` (default 50),
``meta.pagination``; POST creates) and ``/v3/hooks/{id}`` (GET, PUT, DELETE) are a
stateful hooks store answering in BigCommerce's V3 shapes (``{"data": ..., "meta": ...}``;
errors ``{"status", "title"}``): the same token check as orders; ids count up from 1 across
stores; an unknown id → 404; a POST without text ``scope`` and ``destination`` → 422;
a PUT changes ``is_active`` only.
``hooks_error_next`` makes the next hooks calls fail (the orders faults leave hooks calls
alone). ``hooks(hash)`` shows the store's hooks with the headers they were created with,
``deactivate_hook`` turns one off as BigCommerce does after failed deliveries,
``wait_for_hooks`` / ``wait_for_hooks_call(n)`` block on a condition, and
``send_callback`` POSTs BigCommerce's callback for a hook to its destination, with the
hook's headers, over real HTTP.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx

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
HOOKS_PATH = re.compile(r"/stores/(?P<store>[^/]+)/v3/hooks(?:/(?P<hook>[^/]+))?")
STORE_ID = "1001005"  # BigCommerce's numeric store id, sent in every callback as text
HOOK_NOT_FOUND = "Webhook not found"
WRONG_TOKEN = "You are not authorized to access this resource."
NOT_FOUND = "The requested resource was not found."
INVALID_STATUS = "The field 'status_id' is invalid."


def is_orders_call(request: ReceivedRequest) -> bool:
    return ORDER_PATH.fullmatch(urlsplit(request.path).path) is not None


def is_hooks_call(request: ReceivedRequest) -> bool:
    return HOOKS_PATH.fullmatch(urlsplit(request.path).path) is not None


def _v2_error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps([{"status": status, "message": message}]).encode()
    return Reply(status, body, {**JSON, **(headers or {})})


def _v3_error(status: int, title: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"status": status, "title": title, "type": "about:blank"}).encode()
    return Reply(status, body, {**JSON, **(headers or {})})


def _v3(data: object, meta: dict | None = None, status: int = 200) -> Reply:
    return Reply(status, json.dumps({"data": data, "meta": meta or {}}).encode(), JSON)


class FakeBigCommerce(Receiver):
    """Answers ``STORE`` (200) by default; ``refuse()`` makes that answer 401. See the module."""

    def __init__(self) -> None:
        super().__init__()
        self.default = Reply(200, json.dumps(STORE).encode(), JSON)
        self._lock = threading.Condition()  # guards the stores; notified when hooks change
        self._orders: dict[tuple[str, int], dict] = {}
        self._hooks: dict[tuple[str, int], dict] = {}
        self._hook_ids = 0
        self._hook_faults: list[Reply] = []
        self._tokens: dict[str, str] = {}
        self._faults: list[Reply | threading.Event] = []
        self._holds: list[threading.Event] = []

    def start(self) -> FakeBigCommerce:
        super().start()
        # Receiver answers GET, POST and PUT; the hooks API deletes too.
        handler = self._server.RequestHandlerClass
        handler.do_DELETE = handler.do_GET
        return self

    @property
    def api_base(self) -> str:
        """What ``Settings.app_api_bases["bigcommerce"]`` should be."""
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, title: str = "Invalid token for this store") -> None:
        """Answer the connection test like BigCommerce does for a wrong token (V3 shape)."""
        self.default = Reply(401, json.dumps({"status": 401, "title": title}).encode(), JSON)

    def set_token(self, store_hash: str, token: str) -> None:
        """Orders and hooks calls for ``store_hash`` must send this ``X-Auth-Token`` from now on."""
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

    def hooks(self, store_hash: str) -> list[dict]:
        """Copies of the store's hooks by id, each with the ``headers`` it was created with."""
        with self._lock:
            return [
                json.loads(json.dumps(h))
                for (s, _), h in sorted(self._hooks.items())
                if s == store_hash
            ]

    def deactivate_hook(self, store_hash: str, hook_id: int | str) -> None:
        """Turn the hook off, as BigCommerce does when deliveries keep failing; KeyError if unknown."""
        with self._lock:
            self._hooks[(store_hash, int(hook_id))]["is_active"] = False
            self._lock.notify_all()

    def wait_for_hooks(self, store_hash: str, count: int, timeout_s: float = 15.0) -> list[dict]:
        """Block until the store holds exactly ``count`` hooks; return them (as ``hooks``).

        Raises TimeoutError after ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(held := self.hooks(store_hash)) != count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} hooks in {store_hash}, got {len(held)}")
                self._lock.wait(remaining)
            return held

    def hooks_error_next(
        self,
        status: int,
        title: str = "Internal Server Error",
        count: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``count`` hooks calls answer ``status`` with a V3 error ``title`` (and
        ``headers``, e.g. ``X-Rate-Limit-Time-Reset-Ms`` with a 429), leaving the store as it is."""
        with self._lock:
            self._hook_faults += [_v3_error(status, title, headers)] * count

    def hooks_calls(self, *, answered: bool = False) -> list[ReceivedRequest]:
        """Hooks calls so far: arrived (default) or answered."""
        with self._arrived:
            return [r for r in (self.requests if answered else self.arrivals) if is_hooks_call(r)]

    def wait_for_hooks_call(
        self, n: int, timeout_s: float = 15.0, *, answered: bool = False
    ) -> ReceivedRequest:
        """Block until the ``n``-th hooks call arrived (or was answered); return it.

        Raises TimeoutError after ``timeout_s`` seconds."""
        return self.wait_for(n, timeout_s, is_hooks_call, answered=answered)[n - 1]

    def send_callback(
        self,
        store_hash: str,
        hook_id: int | str,
        order_id: int,
        *,
        hash: str | None = None,
        headers_override: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST BigCommerce's callback about ``order_id`` for the hook to its destination,
        with the hook's headers (``headers_override`` instead, when given), and return the
        answer. ``hash`` defaults to a fresh random one (a redelivery repeats it).

        Raises KeyError for an unknown hook."""
        with self._lock:
            hook = dict(self._hooks[(store_hash, int(hook_id))])
        payload = {
            "scope": hook["scope"],
            "store_id": STORE_ID,
            "data": {"type": "order", "id": order_id},
            "hash": hash or secrets.token_hex(20),
            "created_at": int(time.time()),
            "producer": f"stores/{store_hash}",
        }
        headers = hook["headers"] if headers_override is None else headers_override
        return httpx.post(
            hook["destination"],
            content=json.dumps(payload).encode(),
            headers={**JSON, **headers},
            timeout=15.0,
        )

    def stop(self) -> None:
        with self._lock:
            for release in self._holds:
                release.set()
        super().stop()

    def reply_for(self, request: ReceivedRequest) -> Reply:
        hooks = HOOKS_PATH.fullmatch(urlsplit(request.path).path)
        if hooks is not None:
            with self._lock:
                if self._hook_faults:
                    return self._hook_faults.pop(0)
                reply = self._hooks_reply(request, hooks["store"], hooks["hook"])
                self._lock.notify_all()
                return reply
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

    def _hooks_reply(self, request: ReceivedRequest, store_hash: str, raw_id: str | None) -> Reply:
        token = request.headers.get("x-auth-token", "")
        expected = self._tokens.get(store_hash)
        if not token or (expected is not None and token != expected):
            return _v3_error(401, WRONG_TOKEN)
        if raw_id is None:
            if request.method == "POST":
                return self._create_hook(request, store_hash)
            if request.method == "GET":
                return self._hooks_page(request, store_hash)
            return _v3_error(405, "Method Not Allowed")
        key = (store_hash, int(raw_id)) if raw_id.isdigit() else None
        hook = self._hooks.get(key) if key else None
        if hook is None:
            return _v3_error(404, HOOK_NOT_FOUND)
        if request.method == "DELETE":
            del self._hooks[key]
        elif request.method == "PUT":
            active = (_json_object(request.body) or {}).get("is_active")
            if not isinstance(active, bool):
                return _v3_error(422, "is_active must be true or false.")
            hook.update(is_active=active, updated_at=int(time.time()))
        elif request.method != "GET":
            return _v3_error(405, "Method Not Allowed")
        return _v3(hook)

    def _create_hook(self, request: ReceivedRequest, store_hash: str) -> Reply:
        body = _json_object(request.body)
        headers = (body or {}).get("headers") or {}
        if (
            body is None
            or not all(isinstance(body.get(k), str) and body[k] for k in ("scope", "destination"))
            or not isinstance(body.get("is_active", True), bool)
            or not isinstance(headers, dict)
            or not all(isinstance(v, str) for v in headers.values())
        ):
            return _v3_error(422, "The webhook is not valid: scope and destination are required.")
        self._hook_ids += 1
        now = int(time.time())
        hook = {
            "id": self._hook_ids,
            "client_id": "fake-client-id",
            "store_hash": store_hash,
            "scope": body["scope"],
            "destination": body["destination"],
            "headers": headers,
            "is_active": body.get("is_active", True),
            "created_at": now,
            "updated_at": now,
        }
        self._hooks[(store_hash, hook["id"])] = hook
        return _v3(hook)

    def _hooks_page(self, request: ReceivedRequest, store_hash: str) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        page = int((query.get("page") or ["1"])[0])
        limit = int((query.get("limit") or ["50"])[0])
        held = [h for (s, _), h in sorted(self._hooks.items()) if s == store_hash]
        total_pages = max(1, -(-len(held) // limit))
        data = held[(page - 1) * limit : page * limit]
        links = {"current": f"?page={page}&limit={limit}"}
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
        return _v3(data, {"pagination": pagination})


def _json_object(body: bytes) -> dict | None:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

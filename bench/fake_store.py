"""A minimal fake BigCommerce, and the ISV's Stream Data receiver, for the benchmarks; run
as its own process (``python bench/fake_store.py PORT LOG``) so that the load generator's
event loop never delays it.

- ``PUT /stores/{hash}/v2/orders/{id}``: answered 200 with a V2 order, for any id; logged
  as ``put <order id> <time.monotonic()>``.
- ``GET /stores/{hash}/v2/orders/{id}``: the V2 order (status 11, Awaiting Fulfillment).
- ``/stores/{hash}/v3/hooks`` (GET a page: ``page``, ``limit`` default 50,
  ``meta.pagination``; POST creates) and ``/v3/hooks/{id}`` (GET, PUT ``is_active``,
  DELETE): a hooks store in BigCommerce's V3 shapes (``{"data", "meta"}``), keeping each
  hook's ``headers`` as tests/support/fake_bigcommerce.py does; ids count up from 1.
- ``POST /inbox/...``: the Stream Data receiver; answers 204 and logs
  ``stream <data.id> <time.monotonic()>`` (``data`` is the order the trigger fetched).
- anything else (the connection test, ``GET .../v2/store``): the store.

CLOCK_MONOTONIC is one clock for every process on Linux, so the bench compares the logged
times with its own send times. No token check: the bench measures, tests/ verify. Prints
``ready``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ORDER = re.compile(r"/stores/[^/]+/v2/orders/(\d+)")
HOOKS = re.compile(r"/stores/(?P<store>[^/]+)/v3/hooks(?:/(?P<hook>\d+))?")
STORE = {"id": "abc123", "domain": "acme.example.com", "name": "Acme Store"}


class HookStore:
    """BigCommerce's hooks, per store hash; thread-safe. Answers are (status, body)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: dict[int, dict] = {}
        self._ids = 0

    def answer(self, method: str, store: str, hook_id: str | None, query: str, body: bytes):
        with self._lock:
            if hook_id is None and method == "POST":
                return self._create(store, json.loads(body or b"{}"))
            if hook_id is None:
                return 200, self._page(store, parse_qs(query))
            hook = self._hooks.get(int(hook_id))
            if hook is None or hook["store_hash"] != store:
                return 404, {"status": 404, "title": "Webhook not found"}
            if method == "DELETE":
                del self._hooks[hook["id"]]
            elif method == "PUT":
                hook["is_active"] = bool(json.loads(body or b"{}").get("is_active"))
            return 200, {"data": hook, "meta": {}}

    def _create(self, store: str, body: dict):
        if not (body.get("scope") and body.get("destination")):
            return 422, {"status": 422, "title": "scope and destination are required"}
        self._ids += 1
        now = int(time.time())
        hook = {
            "id": self._ids,
            "client_id": "bench-client-id",
            "store_hash": store,
            "scope": body["scope"],
            "destination": body["destination"],
            "headers": body.get("headers") or {},
            "is_active": body.get("is_active", True),
            "created_at": now,
            "updated_at": now,
        }
        self._hooks[hook["id"]] = hook
        return 200, {"data": hook, "meta": {}}

    def _page(self, store: str, query: dict) -> dict:
        page = int((query.get("page") or ["1"])[0])
        limit = int((query.get("limit") or ["50"])[0])
        held = [h for _, h in sorted(self._hooks.items()) if h["store_hash"] == store]
        total_pages = max(1, -(-len(held) // limit))
        data = held[(page - 1) * limit : page * limit]
        pagination = {
            "total": len(held),
            "count": len(data),
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
        }
        return {"data": data, "meta": {"pagination": pagination}}


def main(port: int, log_path: str) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    lock = threading.Lock()
    hooks = HookStore()

    def record(kind: str, key: object, arrived: float) -> None:
        with lock:
            log.write(f"{kind} {key} {arrived!r}\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as BigCommerce does

        def _handle(self) -> None:
            arrived = time.monotonic()
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            status, reply = 200, STORE
            if (order := ORDER.fullmatch(path)) is not None:
                status_id = 11
                if self.command == "PUT":
                    status_id = json.loads(body or b"{}").get("status_id", 11)
                    record("put", order[1], arrived)
                reply = {"id": int(order[1]), "status_id": status_id, "status": "Shipped"}
                if self.command == "GET":
                    reply |= {"status": "Awaiting Fulfillment", "total_inc_tax": "42.0000"}
            elif (hook := HOOKS.fullmatch(path)) is not None:
                status, reply = hooks.answer(self.command, hook["store"], hook["hook"], query, body)
            elif path.startswith("/inbox/") and self.command == "POST":
                record("stream", json.loads(body)["data"]["id"], arrived)
                status, reply = 204, None
            self._send(status, reply)

        def _send(self, status: int, reply: object) -> None:
            data = b"" if reply is None else json.dumps(reply).encode()
            self.send_response(status)
            if data:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])

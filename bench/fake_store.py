"""A minimal fake BigCommerce for the benchmark, run as its own process (``python
bench/fake_store.py PORT LOG``) so that the load generator's event loop never delays it.

Every ``PUT /stores/{hash}/v2/orders/{id}`` is answered 200 with a V2 order, for any id, and
its arrival is appended to LOG as ``<order id> <time.monotonic()>`` (CLOCK_MONOTONIC is one
clock for every process on Linux, so the bench compares it with its own send times). Any
other request (the connection test, ``GET .../v2/store``) gets the store. Prints ``ready``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDER = re.compile(r"/stores/[^/]+/v2/orders/(\d+)")
STORE = json.dumps({"id": "abc123", "domain": "acme.example.com", "name": "Acme Store"}).encode()


def main(port: int, log_path: str) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as BigCommerce does

        def _handle(self) -> None:
            arrived = time.monotonic()
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            match = ORDER.fullmatch(self.path.split("?", 1)[0])
            if match and self.command == "PUT":
                status_id = json.loads(body or b"{}").get("status_id", 11)
                with lock:
                    log.write(f"{match[1]} {arrived!r}\n")
                reply = json.dumps(
                    {"id": int(match[1]), "status_id": status_id, "status": "Shipped"}
                ).encode()
            else:
                reply = STORE
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_PUT = do_POST = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])

"""A real HTTP server that plays the ISV's webhook receiver (or any outgoing target)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    arrived_at: float = field(default_factory=time.monotonic)  # seconds, monotonic clock


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    trickle_s: float = 0.0  # send the body one byte per trickle_s seconds (a slow-loris answer)
    hold: threading.Event | None = None  # answer only once this is set (after any delay)


class Receiver:
    """Records every request; answers from ``replies`` in order (then ``default``).

    ``url`` is ``http://127.0.0.1:<port>/hook``. ``stop()`` closes the port (receiver down),
    ``start()`` opens it again on the same port.
    """

    def __init__(self, port: int = 0) -> None:
        self.requests: list[ReceivedRequest] = []  # answered (after any reply delay)
        self.arrivals: list[ReceivedRequest] = []  # as they come in, before any delay
        self.replies: list[Reply] = []
        self.default = Reply()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._arrived = threading.Condition()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = ReceivedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                reply = receiver.reply_for(request)
                with receiver._arrived:
                    receiver.arrivals.append(request)
                    receiver._arrived.notify_all()
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.hold is not None:
                    reply.hold.wait()
                with receiver._arrived:
                    receiver.requests.append(request)
                    receiver._arrived.notify_all()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                if not reply.trickle_s:
                    self.wfile.write(reply.body)
                    return
                self.wfile.flush()
                for byte in reply.body:
                    time.sleep(reply.trickle_s)
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client hung up
                        return

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def reply_for(self, request: ReceivedRequest) -> Reply:
        """The answer to ``request`` (a subclass may route): the next of ``replies``, else
        ``default``. Called on the server's thread as the request arrives."""
        return self.replies.pop(0) if self.replies else self.default

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(
        self,
        count: int,
        timeout_s: float = 15.0,
        where: Callable[[ReceivedRequest], bool] = lambda r: True,
        *,
        answered: bool = True,
    ) -> list[ReceivedRequest]:
        """Block until ``count`` matching requests were answered (or, with ``answered=False``,
        merely arrived); returns them (raises on timeout)."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            while True:
                matching = [r for r in (self.requests if answered else self.arrivals) if where(r)]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} requests, got {len(matching)}")
                self._arrived.wait(remaining)

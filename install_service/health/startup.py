"""A server process's start-up, run after it starts listening, and the gate that holds
requests until it is done.

``serve`` binds its port at once, then migrates the database and launches the runtime in
the background (``Startup.run``), so an orchestrator sees the process alive (``/health``)
and not yet ready (``/ready`` 503) instead of a refused connection. Until start-up is done,
``StartupGate`` holds every other request for up to ``wait_s`` seconds, then answers 503
``{"message", "code": "not_ready"}`` with ``Retry-After: 1``; once start-up has failed it
answers that at once. The gate keeps only a flag: no database access.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Receive, Scope, Send

from install_service import error_codes
from install_service.errors import error_body

logger = logging.getLogger(__name__)
UNGATED_PATHS = frozenset({"/health", "/ready", "/metrics"})


class Startup:
    """The state of one process's start-up: ``starting``, then ``ready`` or ``failed``."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.failed = False
        self._task: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        if not self.done.is_set():
            return "starting"
        return "failed" if self.failed else "ready"

    def begin(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` in the background; its failure is logged, and the process stays up
        and not ready (``/ready`` names it)."""
        self._task = asyncio.create_task(self._run(work), name="install-service start-up")

    async def _run(self, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except Exception:
            self.failed = True
            logger.exception("start-up failed: the service stays up and answers 503")
        finally:
            self.done.set()

    async def cancel(self) -> None:
        """Stop a start-up still running (the server is shutting down)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class StartupGate:
    """ASGI wrapper: holds HTTP requests (except ``UNGATED_PATHS``) until start-up is done."""

    def __init__(self, app: ASGIApp, startup: Startup, wait_s: float) -> None:
        self.app, self.startup, self.wait_s = app, startup, wait_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gated = scope["type"] == "http" and scope["path"] not in UNGATED_PATHS
        if gated and self.startup.state != "ready":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.startup.done.wait(), self.wait_s)
            if self.startup.state != "ready":
                await _not_ready(send, self.startup.state)
                return
        await self.app(scope, receive, send)


async def _not_ready(send: Send, state: str) -> None:
    message = (
        "The service is still starting: retry shortly"
        if state == "starting"
        else "The service failed to start: see its log"
    )
    body = encode_json(error_body(503, message, error_codes.NOT_READY))
    start = {"type": "http.response.start", "status": 503, "headers": []}
    headers = MutableScopeHeaders(start)
    headers["content-type"] = "application/json"
    headers["retry-after"] = "1"
    headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body})

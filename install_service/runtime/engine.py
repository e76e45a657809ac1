"""DBOS Transact: configuration, launch and shutdown of the durable workflow engine.

DBOS records every workflow and step (inputs, outputs, errors) in its *system database*, so
a process killed mid-run resumes the run where it stopped when it starts again. The system
database follows ``DATABASE_URL``: for SQLite a second file beside ours
(``install-service.db`` → ``install-service.dbos.sqlite``), for PostgreSQL the same database
(DBOS keeps its tables in the ``dbos`` schema); ``INSTALL_SERVICE_DBOS_DATABASE_URL``
overrides it. Every process that launches the engine (``serve``, ``demo``, ``worker``) takes
executions from the same queues.

Queues (declared after launch, as DBOS requires):
- ``executions``: one DBOS workflow per execution, partitioned by ISV and end user, so one
  user's flood waits behind its own partition limit (``run_concurrency_per_user``, counted
  across every process) instead of delaying other users. ``run_concurrency`` bounds what
  one process runs at once.
- ``app-calls:<app>``: one per app with a rate limit (its module's ``RATE_LIMIT``, or
  ``INSTALL_SERVICE_<APP>_APP_RATE_LIMIT``). Each app action runs as a child workflow on it,
  partitioned by credential, with DBOS's partition rate limiter: the limit (BigCommerce:
  150 calls per 30 s per store) holds per credential across every process, because DBOS
  counts the calls started in the window in the shared system database. DBOS counts from
  when it starts a call, a moment before the request leaves, so the window it counts over is
  ``WINDOW_MARGIN_S`` longer than the app's: no window of the app's own sees one too many.

DBOS is one engine per process (a global in the ``dbos`` package): :func:`start` and
:func:`stop` bracket the app's lifespan; the steps find what they need (database sessions,
the credential cipher, the HTTP client) through :func:`context`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from dbos import DBOS, DBOSConfig, Queue
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.catalog.app_actions import rate_limit_for
from install_service.catalog.app_definitions import load_apps
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import KeyRing
from install_service.settings import Settings

EXECUTIONS_QUEUE = "executions"
APP_CALLS_QUEUE = "app-calls:{app}"
WINDOW_MARGIN_S = 1.0
APP_NAME = "install-service"
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RuntimeContext:
    """What workflow steps use; built once per process by :func:`start`."""

    settings: Settings
    session_maker: async_sessionmaker[AsyncSession]
    keys: KeyRing
    cipher: CredentialCipher
    client: httpx.AsyncClient
    queue: Queue
    app_queues: Mapping[str, Queue]  # app key → its rate-limited call queue


_context: RuntimeContext | None = None
_ready: asyncio.Event | None = None


class RuntimeNotStarted(RuntimeError):
    """A step or an enqueue ran in a process whose engine is not launched."""


def context() -> RuntimeContext:
    """The running engine's context.

    Raises:
        RuntimeNotStarted: :func:`start` has not run in this process (or :func:`stop` has).
    """
    if _context is None:
        raise RuntimeNotStarted("the workflow runtime is not running in this process")
    return _context


async def ready() -> None:
    """Wait until :func:`start` has finished. Every workflow awaits this first: DBOS resumes
    unfinished runs inside ``DBOS.launch()``, before the queues and the context exist.

    Raises:
        RuntimeNotStarted: :func:`start` is not running or done in this process.
    """
    if _ready is None:
        raise RuntimeNotStarted("the workflow runtime is not running in this process")
    await _ready.wait()


def launched() -> bool:
    """Whether :func:`start` has finished in this process (and :func:`stop` not run since)."""
    return _ready is not None and _ready.is_set()


def system_database_url(settings: Settings) -> str:
    """The DBOS system database for ``settings`` (see the module docstring).

    SQLite: ``sqlite:///<folder>/<stem>.dbos.sqlite``; PostgreSQL: the same database, with
    the synchronous driver DBOS uses (psycopg).
    """
    if settings.dbos_database_url:
        return settings.dbos_database_url
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "install-service.db")
        return f"sqlite:///{path.with_name(path.stem + '.dbos.sqlite')}"
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def dbos_config(settings: Settings) -> DBOSConfig:
    return {
        "name": APP_NAME,
        "system_database_url": system_database_url(settings),
        "executor_id": settings.executor_id,
        "log_level": "WARNING",
        # How fast an idle notification listener notices shutdown (and SQLite notifications).
        "notification_listener_polling_interval_sec": 0.05,
        "scheduler_polling_interval_sec": 5.0,
    }


async def start(
    settings: Settings,
    session_maker: async_sessionmaker[AsyncSession],
    keys: KeyRing,
    cipher: CredentialCipher,
    client: httpx.AsyncClient,
) -> RuntimeContext:
    """Launch DBOS (recovering this executor's unfinished runs) and declare the queues.

    The workflows must be registered first (importing ``runtime.runner`` and
    ``runtime.retention`` does it). Must run on the event loop that will run the workflows
    (the app's). Raises
    ``dbos.DBOSException`` when the system database cannot be opened or migrated.
    """
    global _context, _ready
    _ready = asyncio.Event()
    DBOS(config=dbos_config(settings))
    if not settings.run_executions:
        DBOS.listen_queues([])  # a web process that leaves the runs to `install-service worker`
    DBOS.launch()
    queue = await DBOS.register_queue_async(
        EXECUTIONS_QUEUE,
        worker_concurrency=settings.run_concurrency,
        partition_concurrency=settings.run_concurrency_per_user,
        polling_interval_sec=settings.run_queue_polling_interval_s,
        on_conflict="always_update",
    )
    app_queues = {}
    for app_key, (requests, period_s) in app_rate_limits(settings).items():
        app_queues[app_key] = await DBOS.register_queue_async(
            APP_CALLS_QUEUE.format(app=app_key),
            worker_concurrency=settings.run_concurrency,
            partition_limiter={"limit": requests, "period": period_s + WINDOW_MARGIN_S},
            polling_interval_sec=settings.run_queue_polling_interval_s,
            on_conflict="always_update",
        )
    _context = RuntimeContext(settings, session_maker, keys, cipher, client, queue, app_queues)
    _ready.set()
    return _context


def app_rate_limits(settings: Settings) -> dict[str, tuple[int, float]]:
    """Each app's calls per credential as (requests, seconds): the setting, else the app's
    module ``RATE_LIMIT``; apps with neither are absent (not limited)."""
    limits = {key: rate_limit_for(key) for key in load_apps()}
    limits.update(settings.app_rate_limits)
    return {key: limit for key, limit in limits.items() if limit is not None}


def stop() -> None:
    """Shut DBOS down; unfinished runs stay recorded and resume at the next :func:`start`."""
    global _context, _ready
    _context, _ready = None, None
    DBOS.destroy()

"""The Litestar application: ``create_app(settings)`` wires plugins, routes and services."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from advanced_alchemy.exceptions import NotFoundError as RepositoryNotFoundError
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from sqlalchemy.exc import NoResultFound

from install_service.apps.controllers import AppsController
from install_service.credentials.controllers import (
    CredentialRequirementsController,
    CredentialsController,
)
from install_service.dashboard.controllers import dashboard_router
from install_service.dashboard.edge import dashboard_stores
from install_service.db.config import migrate_database, sqlalchemy_config
from install_service.enduser.controllers import EndUserPreflightController
from install_service.enduser.cors import EndUserCorsMiddleware
from install_service.errors import ServiceError
from install_service.events.controllers import EventsController
from install_service.executions.controllers import ExecutionsController
from install_service.health.controllers import HealthController
from install_service.health.startup import Startup, StartupGate
from install_service.http.access_log import AccessLogMiddleware
from install_service.http.error_answers import (
    http_error_to_json,
    internal_error_to_json,
    missing_row_to_json,
    service_error_to_json,
)
from install_service.http.headers import security_headers
from install_service.http.json_body import check_json_body
from install_service.http.logs import structlog_plugin
from install_service.http.query import DropEmptyQueryValues
from install_service.installs.controllers import ModalController
from install_service.integrations.controllers import IntegrationsController
from install_service.keys.refresh import KeyRefresher
from install_service.links.controllers import HostedInstallController, LinksController
from install_service.links.tokens import LinkTokens
from install_service.metrics.controllers import MetricsController, metrics_middleware
from install_service.openapi import document_errors, openapi_config
from install_service.ratelimits import (
    AuthFailures,
    rate_limit_middleware,
    too_many_requests_to_json,
)
from install_service.runtime import (  # runner and retention register their workflows
    engine,
    recovery,
    retention,
    runner,  # noqa: F401
)
from install_service.sdk.controllers import sdk_router
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import KeyRing, load_keys
from install_service.security.public_keys import PublicKeysController
from install_service.security.user_tokens import UserTokens
from install_service.settings import PROJECT_ROOT, Settings
from install_service.telemetry import tracing_plugins
from install_service.triggers import reconcile as triggers_reconcile
from install_service.triggers import sync as triggers_sync
from install_service.triggers.controllers import TriggerCallbackController
from install_service.users.controllers import UsersController
from install_service.webhooks.controllers import WebhooksController
from install_service.webhooks.worker import DeliveryWorker
from install_service.workflows.controllers import VersionsController, WorkflowsController
from install_service.workflows.manager_controllers import InstallationsController

API_VERSIONS = ("2023-12", "2024-03", "2025-09")
ISV_API = (
    EndUserPreflightController,  # first: the first OPTIONS handler registered for a path wins
    UsersController,
    IntegrationsController,
    LinksController,
    WebhooksController,
    CredentialsController,
    CredentialRequirementsController,
    AppsController,
    WorkflowsController,
    VersionsController,
    InstallationsController,
    EventsController,
    ExecutionsController,
)
PACKAGE_DIR = Path(__file__).resolve().parent
# htmx comes from npm: a wheel carries it in the package (hatch_build.py), a checkout
# serves node_modules.
HTMX_DIST = PACKAGE_DIR / "vendor" / "htmx"
if not HTMX_DIST.is_dir():
    HTMX_DIST = PROJECT_ROOT / "node_modules" / "htmx.org" / "dist"


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived objects shared by every request, built once per app."""

    settings: Settings
    keys: KeyRing
    user_tokens: UserTokens
    cipher: CredentialCipher
    link_tokens: LinkTokens


def build_services(settings: Settings) -> Services:
    keys = load_keys(settings)
    return Services(
        settings=settings,
        keys=keys,
        user_tokens=UserTokens(keys, issuer=settings.public_url, ttl_s=settings.user_token_ttl_s),
        cipher=CredentialCipher(keys.credential_keys),
        link_tokens=LinkTokens(keys.link_keys),
    )


class BackgroundWork:
    """What runs beside the HTTP server, and alone in ``install-service worker``: the
    webhook delivery worker and the workflow runtime (DBOS), using ``client`` for outgoing
    calls. :meth:`stop` stops whatever :meth:`start` got to, even half-way."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        db: SQLAlchemyAsyncConfig,
        client: httpx.AsyncClient,
    ) -> None:
        self.settings, self.services, self.client = settings, services, client
        self.worker = DeliveryWorker(db.create_session_maker(), services.keys, settings)
        self._session_maker = db.create_session_maker()
        self.key_refresher = KeyRefresher(
            self._session_maker, services.cipher, settings.key_refresh_s
        )
        self._started: list[str] = []

    async def start(self) -> None:
        """Migrate first when ``settings.migrate_on_start`` (in a thread: Alembic is
        synchronous), then start the delivery worker and the runtime, which resumes this
        executor's unfinished runs, and queue what a crash left unfinished."""
        settings, services = self.settings, self.services
        if settings.migrate_on_start:
            await asyncio.to_thread(migrate_database, settings.database_url)
        await self.key_refresher.start()  # before anything seals or opens a credential
        self._started.append("keys")
        await self.worker.start()
        self._started.append("worker")
        self._started.append("runtime")  # first: stop() destroys a half-launched DBOS too
        await engine.start(
            settings, self._session_maker, services.keys, services.cipher, self.client
        )
        await retention.schedule(settings)
        await recovery.enqueue_orphans()
        await triggers_sync.request_unfinished()
        await triggers_reconcile.schedule()

    async def stop(self) -> None:
        if "runtime" in self._started:
            engine.stop()
        if "worker" in self._started:
            await self.worker.stop()
        if "keys" in self._started:
            await self.key_refresher.stop()
        self._started.clear()


@asynccontextmanager
async def background(
    settings: Settings, services: Services, db: SQLAlchemyAsyncConfig
) -> AsyncIterator[httpx.AsyncClient]:
    """:class:`BackgroundWork` started and, on leaving, stopped; yields the shared HTTP
    client for outgoing calls."""
    async with httpx.AsyncClient(follow_redirects=False) as client:
        work = BackgroundWork(settings, services, db, client)
        try:
            await work.start()
            yield client
        finally:
            await work.stop()


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; settings default to ``Settings.from_env()`` read now, not at import."""
    settings = (settings or Settings.from_env()).resolved()
    services = build_services(settings)
    db = sqlalchemy_config(settings.database_url)
    auth_failures = AuthFailures(settings.rate_limit_auth_failures)

    startup = Startup()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        """Answer at once (``/health``); migrate and launch the runtime in the background
        (``health.startup``); on shutdown stop whatever was started."""
        async with httpx.AsyncClient(follow_redirects=False) as client:
            app.state.http_client = client
            work = BackgroundWork(settings, services, db, client)
            startup.begin(work.start)
            try:
                yield
            finally:
                await startup.cancel()
                await work.stop()

    route_handlers: list = [
        *(Router(path=f"/{version}", route_handlers=list(ISV_API)) for version in API_VERSIONS),
        ModalController,
        HostedInstallController,
        dashboard_router(settings, services.keys),
        PublicKeysController,
        HealthController,
        TriggerCallbackController,
        *([MetricsController] if settings.metrics_token else []),
        sdk_router(),  # before the static files: it answers /static/embedded.js
        create_static_files_router(
            path="/static", directories=[PACKAGE_DIR / "static", HTMX_DIST], include_in_schema=False
        ),
    ]
    if settings.demo:
        from install_service.demo.controllers import DemoController, SandboxController

        route_handlers += [DemoController, SandboxController]

    app = Litestar(
        route_handlers=route_handlers,
        plugins=[
            SQLAlchemyPlugin(config=db),
            HTMXPlugin(),
            structlog_plugin(settings.log_format),
            *tracing_plugins(settings),  # none unless OTEL_EXPORTER_OTLP_ENDPOINT is set
        ],
        stores=dashboard_stores(db.create_session_maker()),
        middleware=[
            *([metrics_middleware()] if settings.metrics_token else []),
            DropEmptyQueryValues(),
            EndUserCorsMiddleware(API_VERSIONS),
            *rate_limit_middleware(
                settings, [f"/{version}/" for version in API_VERSIONS], services.user_tokens
            ),
        ],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "keys": Provide(lambda: services.keys, sync_to_thread=False),
            "user_tokens": Provide(lambda: services.user_tokens, sync_to_thread=False),
            "cipher": Provide(lambda: services.cipher, sync_to_thread=False),
            "link_tokens": Provide(lambda: services.link_tokens, sync_to_thread=False),
            "auth_failures": Provide(lambda: auth_failures, sync_to_thread=False),
            "http_client": Provide(_http_client, sync_to_thread=False),
        },
        template_config=TemplateConfig(
            directory=PACKAGE_DIR / "templates", engine=JinjaTemplateEngine
        ),
        exception_handlers={
            ServiceError: service_error_to_json,
            HTTPException: http_error_to_json,
            TooManyRequestsException: too_many_requests_to_json,
            NoResultFound: missing_row_to_json,
            RepositoryNotFoundError: missing_row_to_json,
            Exception: internal_error_to_json,
        },
        before_request=check_json_body,
        before_send=[
            security_headers((f"/{version}/" for version in API_VERSIONS), pages=("/dashboard",))
        ],
        lifespan=[lifespan],
        on_startup=[lambda app: document_errors(app, tuple(f"/{v}/" for v in API_VERSIONS))],
        openapi_config=openapi_config(version="0.1.0"),
        debug=settings.debug,
    )
    app.state.startup = startup
    app.state.metrics_token = settings.metrics_token
    gated = StartupGate(app.asgi_handler, startup, settings.startup_wait_s)
    app.asgi_handler = AccessLogMiddleware(gated)  # 404s, 405s and 503s while starting too
    return app


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """``install-service worker``: the background work of :func:`background` until ``stop``
    is set or the process gets SIGINT/SIGTERM."""
    settings = replace(settings.resolved(), run_executions=True)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    db = sqlalchemy_config(settings.database_url)
    try:
        async with background(settings, build_services(settings), db):
            await stop.wait()
    finally:
        await db.get_engine().dispose()


async def run_reconcile(settings: Settings, isv_id: str | None) -> list[str]:
    """``install-service triggers reconcile``: one reconcile run in this process (see
    ``triggers.reconcile``); the syncs it asks for are queued for the running service or
    workers. Returns what changed, one line each."""
    settings = replace(settings.resolved(), run_executions=False, executor_id="triggers-cli")
    services = build_services(settings)
    db = sqlalchemy_config(settings.database_url)
    try:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            session_maker = db.create_session_maker()
            await KeyRefresher(session_maker, services.cipher, settings.key_refresh_s).load()
            await engine.start(settings, session_maker, services.keys, services.cipher, client)
            try:
                return await triggers_reconcile.reconcile(isv_id)
            finally:
                engine.stop()
    finally:
        await db.get_engine().dispose()


def _http_client(state: State) -> httpx.AsyncClient:
    """The shared client for outgoing calls (connection tests), opened in the lifespan."""
    return state.http_client

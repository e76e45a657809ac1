"""Optional OpenTelemetry tracing of HTTP requests (Litestar's ``OpenTelemetryPlugin``).

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``Settings.otlp_endpoint``); then each
request becomes a server span exported by OTLP/HTTP (protobuf) to ``<endpoint>/v1/traces``
(the OpenTelemetry spec's rule for the signal-generic variable), in batches
(``BatchSpanProcessor``: ``OTEL_BSP_SCHEDULE_DELAY`` ms, default 5000), flushed when the
app shuts down. The service name is ``OTEL_SERVICE_NAME`` (default ``install-service``);
the SDK also honours ``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_EXPORTER_OTLP_HEADERS`` /
``..._TIMEOUT`` / ``..._COMPRESSION``. The packages are the ``otel`` extra; when the
endpoint is unset this module imports none of them.

What a span holds: its name is ``"<METHOD> <route template>"`` (``GET /2023-12/users/
{user_ref}``), or just the method when no route matches, and ``http.route`` is the
template. The ASGI instrumentation would record the raw path and query (``http.target``,
``http.url``, ``url.path``, ``url.query``), which carry user ids and tokens (``?token=``,
``?userId=``): these are replaced by the template and the query's names with every value
``REDACTED``. Of the headers only ``Host`` and ``User-Agent`` are recorded. ``/health``, ``/ready`` and ``/metrics`` (probes and
scrapes) are not traced.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

from litestar.config.app import AppConfig
from litestar.exceptions import HTTPException
from litestar.plugins import InitPlugin
from litestar.utils import normalize_path

from install_service.settings import Settings, SettingsError

UNMATCHED = "/(unmatched)"  # the path recorded for a request that matches no route
NOT_TRACED = ["^/health$", "^/ready$", "^/metrics$"]
# Attribute names of the ASGI instrumentation (OpenTelemetry HTTP semantic conventions,
# the old ones and the stable ones) that would carry the raw path or query.
HTTP_ROUTE, HTTP_TARGET, HTTP_URL = "http.route", "http.target", "http.url"
URL_PATH, URL_QUERY = "url.path", "url.query"


def route_template(scope: dict[str, Any]) -> str | None:
    """The template of the route ``scope`` goes to (``/2023-12/users/{user_ref}``), looked
    up in the app's router as the router will (its lookups are cached); ``None`` for no
    route or a method the route does not take."""
    app = scope.get("app")
    path = scope.get("path", "")
    if root_path := scope.get("root_path", ""):
        path = path.split(root_path, maxsplit=1)[-1]
    if app is None or not path:
        return None
    try:
        *_, template = app.asgi_router.handle_routing(
            path=normalize_path(path), method=scope.get("method")
        )
    except HTTPException:  # NotFoundException, MethodNotAllowedException
        return None
    return template


def redacted_query(query_string: bytes | str) -> str:
    """``"userId=REDACTED&token=REDACTED"``: the names, never the values."""
    raw = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    return "&".join(f"{name}=REDACTED" for name, _ in parse_qsl(raw, keep_blank_values=True))


def span_details(scope: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The span name and the attributes that replace the instrumentation's path and
    query ones (``OpenTelemetryConfig.scope_span_details_extractor``)."""
    method = str(scope.get("method", "")).strip()
    template = route_template(scope)
    path = template or UNMATCHED
    host, port = (scope.get("server") or ("", None))[:2]
    netloc = f"{host}:{port}" if port else host
    attributes = {
        HTTP_TARGET: path,
        URL_PATH: path,
        HTTP_URL: f"{scope.get('scheme', 'http')}://{netloc}{path}",
    }
    if template:
        attributes[HTTP_ROUTE] = template
    if query := scope.get("query_string"):
        attributes[URL_QUERY] = redacted_query(query)
    name = f"{method} {template}" if method and template else (method or path)
    return name, attributes


class FlushOnShutdown(InitPlugin):
    """Shuts the tracer provider down when the app stops, exporting the spans still
    batched (in a thread: the export is a blocking HTTP call)."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        async def flush() -> None:
            await asyncio.to_thread(self.provider.shutdown)

        app_config.on_shutdown.append(flush)
        return app_config


def _packages() -> tuple[Any, ...]:
    """The classes tracing needs, imported now.

    Raises:
        SettingsError: the ``otel`` extra is not installed.
    """
    try:
        from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise SettingsError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but OpenTelemetry is not installed: "
            "pip install 'install-service[otel]' (or unset the variable)"
        ) from exc
    return (
        OpenTelemetryConfig,
        OpenTelemetryPlugin,
        OTLPSpanExporter,
        SERVICE_NAME,
        Resource,
        TracerProvider,
        BatchSpanProcessor,
    )


def check_tracing(settings: Settings) -> None:
    """Fail at start-up, before anything listens, when tracing is asked for but cannot be.

    Raises:
        SettingsError: the endpoint is set but the ``otel`` extra is not installed.
    """
    if settings.otlp_endpoint:
        _packages()


def tracing_plugins(settings: Settings) -> list[InitPlugin]:
    """``[]`` when ``settings.otlp_endpoint`` is empty (and nothing of OpenTelemetry is
    imported); else Litestar's ``OpenTelemetryPlugin`` with its own tracer provider (none
    is installed globally) and the plugin that flushes it.

    Raises:
        SettingsError: the endpoint is set but the ``otel`` extra is not installed.
    """
    if not settings.otlp_endpoint:
        return []
    (
        OpenTelemetryConfig,
        OpenTelemetryPlugin,
        OTLPSpanExporter,
        SERVICE_NAME,
        Resource,
        TracerProvider,
        BatchSpanProcessor,
    ) = _packages()
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.otel_service_name}),
        shutdown_on_exit=False,  # FlushOnShutdown does it, once
    )
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=span_details,
        exclude=NOT_TRACED,
        exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
    )
    return [OpenTelemetryPlugin(config), FlushOnShutdown(provider)]

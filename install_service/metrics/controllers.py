"""``GET /metrics``: Prometheus text format, only when ``INSTALL_SERVICE_METRICS_TOKEN`` is
set, and then only with ``Authorization: Bearer <that token>`` (401 otherwise)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.errors import Unauthorized
from install_service.metrics.services import refresh


def metrics_middleware() -> DefineMiddleware:
    """Litestar's Prometheus middleware: ``install_service_http_requests_total`` and
    ``..._request_duration_seconds`` by method, route template (``group_path``; never the
    raw path) and status; requests to no route are not counted (no unbounded labels)."""
    return PrometheusConfig(
        app_name="install-service",
        prefix="install_service_http",
        group_path=True,
        exclude_unhandled_paths=True,
        exclude=["^/metrics$"],
    ).middleware


def require_metrics_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: the bearer token must equal the setting (constant-time comparison)."""
    expected = connection.app.state.metrics_token
    sent = connection.headers.get("authorization", "")
    scheme, _sep, token = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        raise Unauthorized("A valid metrics token is required: Authorization: Bearer <token>")


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    guards = [require_metrics_token]

    @get()
    async def get(self, db_session: AsyncSession) -> Response:  # type: ignore[override]
        await refresh(db_session)
        return await super().get.fn(self)  # Litestar's exposition (multiprocess aware)

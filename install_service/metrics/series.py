"""Our own Prometheus series (``prometheus_client``'s default registry), next to Litestar's
per-route request count and latency.

Labels never carry a user id, a username or a token: only integration ids, app keys,
statuses and queue names, all few. Counters count in the process where the thing happened
(a run executed by ``install-service worker`` counts there); the gauges are read from the
database at each scrape (``metrics.services.refresh``), so every process shows the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

INSTALLATIONS = Counter(
    "install_service_installations",  # exposed as install_service_installations_total
    "Installations created (a first install of an integration by an end user).",
    ["integration"],
)
WEBHOOK_DELIVERIES = Gauge(
    "install_service_webhook_deliveries",
    "Webhook deliveries not delivered: pending (not tried yet), failed (retrying), dead.",
    ["state"],
)
EXECUTIONS = Counter(
    "install_service_executions",  # exposed as install_service_executions_total
    "Workflow executions finished, by status (success, filtered, failed).",
    ["status"],
)
EXECUTION_SECONDS = Histogram(
    "install_service_execution_seconds",
    "Duration of a finished workflow execution, start to stop, in seconds.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_DEPTH = Gauge(
    "install_service_queue_depth",
    "Executions accepted and waiting to start.",
    ["queue"],
)
APP_CALLS = Counter(
    "install_service_app_calls",  # exposed as install_service_app_calls_total
    "Calls to a third-party app by the runtime, by app key and outcome (success, error).",
    ["app", "outcome"],
)


def execution_finished(status: str, seconds: float | None) -> None:
    """Count a finished execution (``status``: success, filtered, failed) of ``seconds``."""
    EXECUTIONS.labels(status=status).inc()
    if seconds is not None:
        EXECUTION_SECONDS.observe(max(0.0, seconds))


@contextmanager
def counted_app_call(app_key: str) -> Iterator[None]:
    """``with counted_app_call("bigcommerce"): <call>``: one ``success`` or ``error``."""
    try:
        yield
    except BaseException:
        APP_CALLS.labels(app=app_key, outcome="error").inc()
        raise
    APP_CALLS.labels(app=app_key, outcome="success").inc()

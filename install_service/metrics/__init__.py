"""Prometheus metrics: ``GET /metrics`` (Litestar's ``PrometheusController``) and our series."""

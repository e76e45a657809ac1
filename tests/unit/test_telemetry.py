"""Tracing's switch and what a span may hold: off without the endpoint (nothing of
OpenTelemetry imported), a clear error without the extra, span names by route template
and no raw path or query value."""

from __future__ import annotations

import sys

import pytest
from litestar import Litestar, get

from install_service.settings import Settings, SettingsError
from install_service.telemetry import check_tracing, redacted_query, span_details, tracing_plugins

OTEL_MODULES = (
    "opentelemetry",
    "opentelemetry.sdk",
    "opentelemetry.sdk.trace",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "litestar.plugins.opentelemetry",
)


@pytest.fixture
def without_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the ``otel`` extra were not installed: importing any of it raises ImportError."""
    for name in OTEL_MODULES:
        monkeypatch.setitem(sys.modules, name, None)


@get("/2023-12/users/{user_ref:str}", sync_to_thread=False)
def read_user(user_ref: str) -> str:
    return user_ref


def scope(path: str, query: bytes = b"", method: str = "GET") -> dict:
    return {
        "type": "http",
        "app": Litestar([read_user]),
        "method": method,
        "path": path,
        "query_string": query,
        "scheme": "https",
        "server": ("install.example.com", 443),
    }


def test_settings_read_the_standard_variables() -> None:
    settings = Settings.from_env(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "installs"}
    )
    assert settings.otlp_endpoint == "http://collector:4318"
    assert settings.otel_service_name == "installs"
    assert Settings.from_env({}).otel_service_name == "install-service"
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        Settings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"})


def test_off_without_the_endpoint_imports_nothing(without_opentelemetry: None) -> None:
    assert tracing_plugins(Settings()) == []
    check_tracing(Settings())


def test_the_endpoint_without_the_extra_is_a_clear_error(without_opentelemetry: None) -> None:
    settings = Settings(otlp_endpoint="http://collector:4318")
    with pytest.raises(SettingsError, match=r"pip install 'install-service\[otel\]'"):
        check_tracing(settings)
    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        tracing_plugins(settings)


def test_the_endpoint_gives_the_plugin_and_its_flush() -> None:
    from litestar.plugins.opentelemetry import OpenTelemetryPlugin

    plugins = tracing_plugins(Settings(otlp_endpoint="http://collector:4318"))
    assert isinstance(plugins[0], OpenTelemetryPlugin)
    plugins[1].provider.shutdown()


def test_a_span_is_named_by_the_route_template_and_records_no_id_or_query_value() -> None:
    name, attributes = span_details(scope("/2023-12/users/u-42", b"token=s3cret&userId=u-42"))
    assert name == "GET /2023-12/users/{user_ref}"
    assert attributes["http.route"] == "/2023-12/users/{user_ref}"
    assert attributes["http.target"] == attributes["url.path"] == "/2023-12/users/{user_ref}"
    assert attributes["http.url"] == "https://install.example.com:443/2023-12/users/{user_ref}"
    assert attributes["url.query"] == "token=REDACTED&userId=REDACTED"
    assert "u-42" not in repr(attributes) and "s3cret" not in repr(attributes)


def test_no_route_or_a_wrong_method_records_no_path() -> None:
    name, attributes = span_details(scope("/users/u-42/anything"))
    assert name == "GET"
    assert "http.route" not in attributes
    assert attributes["http.target"] == "/(unmatched)"
    name, attributes = span_details(scope("/2023-12/users/u-42", method="DELETE"))
    assert name == "DELETE"
    assert "u-42" not in repr(attributes)


def test_redacted_query_keeps_names_only() -> None:
    assert redacted_query(b"a=1&b=&a=2") == "a=REDACTED&b=REDACTED&a=REDACTED"
    assert redacted_query("") == ""

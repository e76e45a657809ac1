"""Settings from INSTALL_SERVICE_* variables, read when asked and never at import."""

from __future__ import annotations

from pathlib import Path

import pytest

from install_service.app import create_app
from install_service.settings import (
    DEFAULT_WEBHOOK_RETRY_SCHEDULE_S,
    Settings,
    SettingsError,
)


def test_from_env_reads_every_install_service_variable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path),
            "INSTALL_SERVICE_DATABASE_URL": "postgresql+asyncpg://u:p@db/install",
            "INSTALL_SERVICE_PUBLIC_URL": "https://install.acme.example",
            "INSTALL_SERVICE_CREDENTIAL_KEYS": " newkey= , oldkey= ,",
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE": "1, 2.5,60",
            "INSTALL_SERVICE_WEBHOOK_TIMEOUT": "2.5",
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": "http://127.0.0.1:9300",
            "INSTALL_SERVICE_DEBUG": "1",
        }
    )

    assert settings.var_dir == tmp_path
    assert settings.database_url == "postgresql+asyncpg://u:p@db/install"
    assert settings.public_url == "https://install.acme.example"
    assert settings.credential_keys == ("newkey=", "oldkey=")  # order kept: newest first
    assert settings.webhook_allow_private is True
    assert settings.webhook_retry_schedule_s == (1.0, 2.5, 60.0)
    assert settings.webhook_timeout_s == 2.5
    assert settings.app_api_bases == {"bigcommerce": "http://127.0.0.1:9300"}
    assert settings.api_base_for("bigcommerce") == "http://127.0.0.1:9300"
    assert settings.api_base_for("shopify") is None
    assert settings.debug is True


def test_unset_variables_keep_the_defaults() -> None:
    settings = Settings.from_env({"UNRELATED": "x", "BIGCOMMERCE_API_BASE": "http://nope"})

    assert settings == Settings()
    assert settings.webhook_allow_private is False
    assert settings.webhook_retry_schedule_s == DEFAULT_WEBHOOK_RETRY_SCHEDULE_S
    assert settings.app_api_bases == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("YES", True), ("on", True), ("false", False), ("0", False), ("off", False)],
)
def test_booleans_accept_the_usual_spellings(raw: str, expected: bool) -> None:
    settings = Settings.from_env({"INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": raw})

    assert settings.webhook_allow_private is expected


def test_an_unclear_boolean_is_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "maybe"})

    assert "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE" in str(caught.value)
    assert "'maybe'" in str(caught.value)


@pytest.mark.parametrize("raw", ["5,soon", "", "5,-1"])
def test_a_bad_retry_schedule_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE"):
        Settings.from_env({"INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE": raw})


@pytest.mark.parametrize("raw", ["0", "-3", "soon", ""])
def test_a_webhook_timeout_must_be_positive_seconds(raw: str) -> None:
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_WEBHOOK_TIMEOUT"):
        Settings.from_env({"INSTALL_SERVICE_WEBHOOK_TIMEOUT": raw})


def test_an_empty_api_base_is_ignored() -> None:
    settings = Settings.from_env({"INSTALL_SERVICE_SHOPIFY_API_BASE": ""})

    assert settings.api_base_for("shopify") is None


def test_an_app_rate_limit_is_calls_per_seconds() -> None:
    settings = Settings.from_env({"INSTALL_SERVICE_BIGCOMMERCE_APP_RATE_LIMIT": "450/30"})

    assert settings.app_rate_limits == {"bigcommerce": (450, 30.0)}


@pytest.mark.parametrize("raw", ["450", "450/0", "0/30", "x/30", "450/1.5", "-1/30"])
def test_an_unusable_app_rate_limit_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_BIGCOMMERCE_APP_RATE_LIMIT"):
        Settings.from_env({"INSTALL_SERVICE_BIGCOMMERCE_APP_RATE_LIMIT": raw})


def test_resolved_defaults_to_a_sqlite_file_under_var_dir(tmp_path: Path) -> None:
    resolved = Settings(var_dir=tmp_path / "var").resolved()

    expected = (tmp_path / "var" / "install-service.db").resolve()
    assert resolved.database_url == f"sqlite+aiosqlite:///{expected}"


def test_resolved_keeps_an_explicit_database_url_and_strips_the_trailing_slash() -> None:
    resolved = Settings(
        database_url="postgresql+asyncpg://db/install", public_url="https://install.acme.example/"
    ).resolved()

    assert resolved.database_url == "postgresql+asyncpg://db/install"
    assert resolved.public_url == "https://install.acme.example"


def _app_settings(app) -> Settings:
    return app.dependencies["settings"].dependency()


def test_create_app_reads_the_environment_when_called_not_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # install_service.app is already imported (above and by conftest) before these are set.
    monkeypatch.setenv("INSTALL_SERVICE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("INSTALL_SERVICE_PUBLIC_URL", "https://first.example/")
    first = _app_settings(create_app())

    monkeypatch.setenv("INSTALL_SERVICE_PUBLIC_URL", "https://second.example")
    second = _app_settings(create_app())

    assert first.public_url == "https://first.example"
    assert second.public_url == "https://second.example"
    assert first.database_url.endswith(f"{tmp_path.resolve()}/var/install-service.db")


def test_without_a_public_url_the_listen_address_is_used() -> None:
    assert (
        Settings(public_url="").resolved(host="0.0.0.0", port=9000).public_url
        == "http://0.0.0.0:9000"
    )

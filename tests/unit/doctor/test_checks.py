"""The doctor's rules: what is OK, WARN or FAIL for each setting, and that no reason shows
a secret."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from install_service.doctor import checks
from install_service.doctor.checks import (
    FAIL,
    OK,
    REACHABLE,
    REFUSED,
    UNREACHABLE,
    WARN,
    DataKeyFact,
    Findings,
    IsvOrigins,
    WebhookProbe,
)
from install_service.settings import Settings

READY = {"database": "ok", "migrations": "ok"}
DEV = Settings(public_url="http://127.0.0.1:8000")
PROD = Settings(public_url="https://install.example.com")


def findings(**values) -> Findings:
    return Findings(READY, "sqlite", read=True, **values)


def by_name(found: list[checks.Check]) -> dict[str, checks.Check]:
    return {check.name: check for check in found}


def test_production_is_a_public_url_off_localhost() -> None:
    assert not checks.is_production(DEV)
    assert not checks.is_production(Settings(public_url="http://localhost:9000"))
    assert not checks.is_production(Settings(public_url="http://[::1]:8000"))
    assert checks.is_production(PROD)
    assert checks.is_production(Settings(public_url="http://10.0.0.5:8000"))


def test_an_http_public_url_fails_in_production_only() -> None:
    assert checks.public_url(DEV).status == OK
    assert checks.public_url(PROD).status == OK
    found = checks.public_url(Settings(public_url="http://install.example.com"))
    assert found.status == FAIL
    assert "https" in found.reason


def test_a_public_url_with_a_password_does_not_show_it() -> None:
    found = checks.public_url(Settings(public_url="http://user:hunter2@install.example.com"))
    assert found.status == FAIL
    assert "hunter2" not in found.reason


def test_allow_private_fails_outside_development() -> None:
    assert checks.webhook_allow_private(PROD).status == OK
    assert checks.webhook_allow_private(Settings(public_url=DEV.public_url)).status == OK
    allowed_dev = Settings(public_url=DEV.public_url, webhook_allow_private=True)
    assert checks.webhook_allow_private(allowed_dev).status == OK
    found = checks.webhook_allow_private(
        Settings(public_url=PROD.public_url, webhook_allow_private=True)
    )
    assert found.status == FAIL
    assert "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE=true" in found.reason


def test_generated_keys_warn_configured_keys_pass_and_no_key_is_shown() -> None:
    generated = by_name(checks.key_material(DEV, findings()))
    assert {
        generated[n].status for n in ("jwt key", "webhook key", "credential keys", "link keys")
    } == {WARN}
    assert "var/keys" in generated["jwt key"].reason

    jwt_pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    root = base64.b64encode(os.urandom(32)).decode()
    configured = Settings(
        public_url=PROD.public_url,
        jwt_private_key_pem=jwt_pem,
        credential_keys=(root,),
        link_keys=("link-secret-value",),
    )
    found = by_name(checks.key_material(configured, findings()))
    assert found["jwt key"].status == OK
    assert found["credential keys"].status == OK
    assert found["link keys"].status == OK
    assert found["webhook key"].status == WARN
    shown = " ".join(check.reason for check in found.values())
    assert (
        root not in shown and "link-secret-value" not in shown and "PRIVATE KEY-----" not in shown
    )


def test_a_key_of_the_wrong_kind_or_unparsable_fails() -> None:
    wrong = Settings(webhook_private_key_pem="not a pem", jwt_private_key_pem="")
    found = by_name(checks.key_material(wrong, findings(root_key_problem="bad base64")))
    assert found["webhook key"].status == FAIL
    assert found["credential keys"] == checks.Check("credential keys", FAIL, "bad base64")


def test_a_data_key_wrapped_by_an_unconfigured_root_fails() -> None:
    keys = (DataKeyFact("dk1", "active", "root-a"), DataKeyFact("dk2", "previous", "root-old"))
    found = checks.data_keys(findings(root_kids=("root-a",), data_keys=keys))
    assert found.status == FAIL
    assert "dk2" in found.reason and "root-old" in found.reason

    assert checks.data_keys(findings(root_kids=("root-a", "root-old"), data_keys=keys)).status == OK
    assert checks.data_keys(findings(root_kids=("root-a",))).status == OK


def test_webhook_probes_map_to_statuses() -> None:
    probes = (
        WebhookProbe("AcmeCo", "webhook", "https://hooks.acme.test:443", REACHABLE),
        WebhookProbe("AcmeCo", "error webhook", "http://127.0.0.1:9", UNREACHABLE, "ConnectError"),
        WebhookProbe("Other", "webhook", "http://10.0.0.1:80", REFUSED, "private address"),
    )
    found = checks.webhook_urls(findings(webhooks=probes))
    assert [c.status for c in found] == [OK, WARN, FAIL]
    assert "AcmeCo error webhook http://127.0.0.1:9: unreachable" in found[1].reason
    assert checks.webhook_urls(findings()) == [
        checks.Check("webhooks", OK, "no ISV has a webhook URL")
    ]


def test_http_and_wildcard_origins_warn() -> None:
    origins = (
        IsvOrigins("AcmeCo", ("https://app.acme.test", "http://localhost:9100")),
        IsvOrigins("Other", ("http://app.other.test", "https://*.other.test")),
    )
    found = checks.allowed_origins(findings(origins=origins))
    assert [c.status for c in found] == [WARN, WARN]
    assert "http://app.other.test: http outside localhost" in found[0].reason
    assert "a wildcard" in found[1].reason
    assert checks.allowed_origins(findings(origins=origins[:1]))[0].status == OK


def test_metrics_token_unset_is_off_and_a_short_one_warns() -> None:
    assert checks.metrics(DEV).status == OK
    short = checks.metrics(Settings(metrics_token="abc"))
    assert short.status == WARN and "abc" not in short.reason
    assert checks.metrics(Settings(metrics_token="x" * 32)).status == OK


def test_an_unready_database_fails_and_skips_what_needs_it() -> None:
    down = Findings({"database": "unreachable", "migrations": "unknown"}, "postgresql")
    found = checks.run_all(PROD, down)
    named = by_name(found)
    assert named["database"].status == FAIL
    assert named["data keys"].status == WARN
    assert checks.failed(found)
    assert not checks.failed(checks.run_all(PROD, findings()))


def test_tracing_is_optional_but_fails_when_asked_for_without_the_extra() -> None:
    assert checks.tracing(DEV, findings()).status == OK
    on = Settings(otlp_endpoint="http://user:pw@collector:4318")
    found = checks.tracing(on, findings())
    assert found == checks.Check("tracing", OK, "spans to http://collector:4318")
    missing = checks.tracing(on, findings(tracing_problem="pip install 'install-service[otel]'"))
    assert missing.status == FAIL

"""The configuration checks of ``install-service doctor``: pure functions of the settings
and of what ``doctor.services.gather`` found, each giving ``OK``, ``WARN`` or ``FAIL`` with
a one-line reason.

"Production" here means the public URL is not on ``localhost``, ``127.0.0.1`` or ``::1``
(the service has no mode setting: ``INSTALL_SERVICE_PUBLIC_URL`` is what end users' browsers
and the JWT issuer see, so a public one means real users). A reason never holds a secret:
keys are named by their setting or kid (a fingerprint), URLs by scheme, host and port
only (a webhook URL's path or query may carry a token), the database by its dialect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from install_service.health.services import OK as READY
from install_service.settings import PREFIX, Settings

OK, WARN, FAIL = "OK", "WARN", "FAIL"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MIN_METRICS_TOKEN_CHARS = 16

# Outcomes of a webhook URL probe (doctor.services.probe)
REACHABLE, UNREACHABLE, UNRESOLVED, REFUSED = "reachable", "unreachable", "unresolved", "refused"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: ``name`` (e.g. ``"public url"``), ``status`` (``OK``,
    ``WARN``, ``FAIL``) and why."""

    name: str
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class DataKeyFact:
    """A row of ``data_key``: its kid, its state and the root kid that wraps it."""

    kid: str
    state: str
    wrapped_by: str


@dataclass(frozen=True, slots=True)
class WebhookProbe:
    """One ISV webhook URL tried: ``kind`` ``"webhook"`` or ``"error webhook"``,
    ``target`` its ``scheme://host:port``, ``outcome`` one of the probe outcomes above and
    ``detail`` a short reason (no URL path, no query)."""

    isv: str
    kind: str
    target: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IsvOrigins:
    isv: str
    origins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Findings:
    """What ``doctor.services.gather`` read: ``database`` is ``health.services.
    database_checks``' answer; the rest is empty when the database was not ready
    (``read`` false). ``root_kids``: the root credential keys' kids (configured, or the
    generated one), ``()`` when none was generated yet; ``root_key_problem``: why
    ``INSTALL_SERVICE_CREDENTIAL_KEYS`` cannot be used, if it cannot."""

    database: dict[str, str]
    dialect: str
    read: bool = False
    root_kids: tuple[str, ...] | None = None
    root_key_problem: str | None = None
    tracing_problem: str | None = None  # why tracing cannot start (telemetry.check_tracing)
    data_keys: tuple[DataKeyFact, ...] = ()
    webhooks: tuple[WebhookProbe, ...] = ()
    origins: tuple[IsvOrigins, ...] = ()


def is_production(settings: Settings) -> bool:
    """True when the (resolved) public URL's host is not a loopback name."""
    return (urlsplit(settings.public_url).hostname or "") not in LOCAL_HOSTS


def mode(settings: Settings) -> Check:
    if is_production(settings):
        return Check("mode", OK, "production (PUBLIC_URL is not on localhost)")
    return Check("mode", OK, "development (PUBLIC_URL is on localhost)")


def database(findings: Findings) -> list[Check]:
    db, migrations = findings.database["database"], findings.database["migrations"]
    return [
        Check("database", OK, f"{findings.dialect}, reachable")
        if db == READY
        else Check("database", FAIL, f"{findings.dialect}: {db}"),
        Check("migrations", OK, "at head")
        if migrations == READY
        else Check("migrations", FAIL, migrations),
    ]


def public_url(settings: Settings) -> Check:
    parts = urlsplit(settings.public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check("public url", FAIL, f"{PREFIX}PUBLIC_URL is not an absolute http(s) URL")
    shown = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
    if parts.scheme == "http" and is_production(settings):
        return Check(
            "public url",
            FAIL,
            f"{shown} is http outside localhost: user tokens and install links would travel "
            "in clear; use https",
        )
    if not is_production(settings):
        return Check("public url", OK, f"{shown} (development)")
    return Check("public url", OK, shown)


def _pem_problem(pem: str, kind: type) -> str | None:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "is not an unencrypted PEM private key"
    return (
        None
        if isinstance(key, kind)
        else f"is not an {kind.__name__.removesuffix('PrivateKey')} key"
    )


def key_material(settings: Settings, findings: Findings) -> list[Check]:
    """One check per key setting: OK when set (and usable), WARN when left to be
    generated under ``var_dir/keys`` (development only), FAIL when set but unusable."""

    def generated(name: str, variable: str) -> Check:
        return Check(
            name,
            WARN,
            f"generated under var/keys (development only): set {PREFIX}{variable} from "
            "your secret store",
        )

    found = []
    for name, variable, pem, kind in (
        ("jwt key", "JWT_PRIVATE_KEY", settings.jwt_private_key_pem, ed25519.Ed25519PrivateKey),
        ("webhook key", "WEBHOOK_PRIVATE_KEY", settings.webhook_private_key_pem, rsa.RSAPrivateKey),
    ):
        if not pem:
            found.append(generated(name, variable))
        elif problem := _pem_problem(pem, kind):
            found.append(Check(name, FAIL, f"{PREFIX}{variable} {problem}"))
        else:
            found.append(Check(name, OK, f"from {PREFIX}{variable}"))
    if findings.root_key_problem:
        found.append(Check("credential keys", FAIL, findings.root_key_problem))
    elif not settings.credential_keys:
        found.append(generated("credential keys", "CREDENTIAL_KEYS"))
    else:
        count = len(settings.credential_keys)
        found.append(Check("credential keys", OK, f"{count} from {PREFIX}CREDENTIAL_KEYS"))
    if not settings.link_keys:
        found.append(generated("link keys", "LINK_KEYS"))
    else:
        found.append(Check("link keys", OK, f"{len(settings.link_keys)} from {PREFIX}LINK_KEYS"))
    return found


def data_keys(findings: Findings) -> Check:
    """FAIL when a stored data key is wrapped by a root key that is not configured: the
    credentials it seals could not be decrypted (and no process could load the keys)."""
    if not findings.read:
        return Check("data keys", WARN, "not checked: the database is not ready")
    if not findings.data_keys:
        return Check("data keys", OK, "none stored (no rotation yet)")
    roots = findings.root_kids or ()
    orphans = [key for key in findings.data_keys if key.wrapped_by not in roots]
    if orphans:
        key = orphans[0]
        more = f" (and {len(orphans) - 1} more)" if len(orphans) > 1 else ""
        return Check(
            "data keys",
            FAIL,
            f"data key {key.kid} ({key.state}) is wrapped by root key {key.wrapped_by}, which "
            f"is not configured{more}: what it seals cannot be decrypted; put that root key "
            f"back in {PREFIX}CREDENTIAL_KEYS",
        )
    return Check(
        "data keys", OK, f"{len(findings.data_keys)} stored, each wrapped by a configured root key"
    )


def webhook_allow_private(settings: Settings) -> Check:
    if not settings.webhook_allow_private:
        return Check("webhook guard", OK, "webhooks go to global addresses only")
    if is_production(settings):
        return Check(
            "webhook guard",
            FAIL,
            f"{PREFIX}WEBHOOK_ALLOW_PRIVATE=true outside development: webhooks may reach "
            "loopback, private and cloud-metadata addresses",
        )
    return Check(
        "webhook guard", OK, f"{PREFIX}WEBHOOK_ALLOW_PRIVATE=true (development: local receivers)"
    )


def webhook_urls(findings: Findings) -> list[Check]:
    """Per ISV URL: OK reachable; WARN unresolvable or unreachable (deliveries retry);
    FAIL refused by the outbound URL guard (every delivery would fail)."""
    if not findings.read:
        return [Check("webhooks", WARN, "not checked: the database is not ready")]
    if not findings.webhooks:
        return [Check("webhooks", OK, "no ISV has a webhook URL")]
    status = {REACHABLE: OK, UNREACHABLE: WARN, UNRESOLVED: WARN, REFUSED: FAIL}
    return [
        Check(
            "webhooks",
            status[probe.outcome],
            f"{probe.isv} {probe.kind} {probe.target}: {probe.outcome}"
            + (f" ({probe.detail})" if probe.detail else ""),
        )
        for probe in findings.webhooks
    ]


def _risky_origin(origin: str) -> str | None:
    parts = urlsplit(origin)
    if "*" in origin:
        return "a wildcard"
    if parts.scheme == "http" and (parts.hostname or "") not in LOCAL_HOSTS:
        return "http outside localhost"
    return None


def allowed_origins(findings: Findings) -> list[Check]:
    """WARN for an allowed origin that is a wildcard or http outside localhost (pages
    there can be altered in transit, and they may frame the modal)."""
    if not findings.read:
        return [Check("origins", WARN, "not checked: the database is not ready")]
    risky = [
        Check("origins", WARN, f"{isv.isv} allows {origin}: {why}")
        for isv in findings.origins
        for origin in isv.origins
        if (why := _risky_origin(origin))
    ]
    count = sum(len(isv.origins) for isv in findings.origins)
    return risky or [Check("origins", OK, f"{count} allowed origins, all https or localhost")]


def metrics(settings: Settings) -> Check:
    """``/metrics`` exists only with a token (``app.create_app``), so it is never open;
    a short token is guessable."""
    if not settings.metrics_token:
        return Check("metrics", OK, "off (no /metrics without a token)")
    if len(settings.metrics_token) < MIN_METRICS_TOKEN_CHARS:
        return Check(
            "metrics",
            WARN,
            f"{PREFIX}METRICS_TOKEN is shorter than {MIN_METRICS_TOKEN_CHARS} characters",
        )
    return Check("metrics", OK, "/metrics asks for the bearer token")


def debug(settings: Settings) -> Check:
    if settings.debug and is_production(settings):
        return Check(
            "debug", FAIL, f"{PREFIX}DEBUG=true outside development: tracebacks in answers"
        )
    return Check("debug", OK, "on (development)" if settings.debug else "off")


def tracing(settings: Settings, findings: Findings) -> Check:
    """Tracing is optional: OK off or on; FAIL when asked for but ``serve`` would refuse
    to start (the ``otel`` extra missing)."""
    if not settings.otlp_endpoint:
        return Check("tracing", OK, "off (OTEL_EXPORTER_OTLP_ENDPOINT unset)")
    if findings.tracing_problem:
        return Check("tracing", FAIL, findings.tracing_problem)
    parts = urlsplit(settings.otlp_endpoint)
    return Check("tracing", OK, f"spans to {parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}")


def run_all(settings: Settings, findings: Findings) -> list[Check]:
    """Every check, in report order."""
    return [
        mode(settings),
        *database(findings),
        public_url(settings),
        *key_material(settings, findings),
        data_keys(findings),
        webhook_allow_private(settings),
        *webhook_urls(findings),
        *allowed_origins(findings),
        metrics(settings),
        tracing(settings, findings),
        debug(settings),
    ]


def failed(checks: Iterable[Check]) -> bool:
    return any(check.status == FAIL for check in checks)

"""Service settings, read from ``INSTALL_SERVICE_*`` environment variables (and the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` and ``OTEL_SERVICE_NAME``).

Nothing here runs at import time: ``Settings.from_env()`` is called by ``create_app``
and by the command line, so tests build their own ``Settings`` without touching
``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PREFIX = "INSTALL_SERVICE_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Retry schedule after a failed webhook attempt, in seconds (5 s, 5 min, 30 min, 2 h, 5 h,
# 10 h, 14 h, 20 h, 24 h: a horizon of about 75 h).
DEFAULT_WEBHOOK_RETRY_SCHEDULE_S = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def default_var_dir() -> Path:
    """``var/`` in the checkout; for an installed wheel ``./var`` in the working directory
    (site-packages is no place for a database)."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    return Path.cwd() / "var"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {raw!r}")


def _positive(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise SettingsError(f"{PREFIX}{name} must be a positive number of seconds, not {raw!r}")
    return value


def _count(name: str, raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"{PREFIX}{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


RATE_UNITS = ("second", "minute", "hour", "day")


def _rate(name: str, raw: str) -> tuple[str, int]:
    """``"600/minute"`` as ``("minute", 600)``: requests per second, minute, hour or day."""
    count, _, unit = raw.strip().partition("/")
    unit = unit.strip().lower().removesuffix("s")
    if not count.strip().isdigit() or int(count) < 1 or unit not in RATE_UNITS:
        raise SettingsError(
            f"{PREFIX}{name} must look like 600/minute (per second, minute, hour or day), not {raw!r}"
        )
    return unit, int(count)


def _app_rate(name: str, raw: str) -> tuple[int, float]:
    """``"150/30"`` as ``(150, 30.0)``: at most 150 calls per credential in any 30 s."""
    count, _, seconds = raw.strip().partition("/")
    try:
        requests, period_s = int(count), int(seconds)
    except ValueError:
        requests = period_s = 0
    if requests < 1 or period_s < 1:
        raise SettingsError(
            f"{PREFIX}{name} must look like 150/30 (calls per that many seconds), not {raw!r}"
        )
    return requests, float(period_s)


def _networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated addresses or CIDRs (``10.0.0.1, 172.16.0.0/12``), each checked."""
    parts = tuple(part.strip() for part in raw.split(",") if part.strip())
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError as exc:
            raise SettingsError(
                f"{PREFIX}{name} must list IP addresses or CIDRs, not {part!r}"
            ) from exc
    return parts


def _floats(name: str, raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name} must be comma-separated seconds") from exc
    if not values or any(v < 0 for v in values):
        raise SettingsError(f"{PREFIX}{name} must list at least one non-negative number")
    return values


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be told from outside.

    Key material left empty is generated under ``var_dir/keys`` on first start and
    reused after (development only: set it explicitly in production).
    """

    var_dir: Path = field(default_factory=default_var_dir)
    database_url: str = ""  # default: sqlite+aiosqlite:///<var_dir>/install-service.db
    public_url: str = ""  # e.g. https://install.example.com; default http://<host>:<port>
    jwt_private_key_pem: str = ""  # Ed25519 (EdDSA) PEM signing user JWTs
    webhook_private_key_pem: str = ""  # RSA PEM for X-Alloy-Signature
    credential_keys: tuple[str, ...] = ()  # base64 32-byte AES-GCM keys, newest first
    link_keys: tuple[str, ...] = ()  # secrets signing install-link tokens, newest first
    key_refresh_s: float = 5.0  # how often a process reloads the data keys (keys.refresh)
    app_api_bases: Mapping[str, str] = field(default_factory=dict)  # {"bigcommerce": url}
    # {"bigcommerce": (requests, seconds)}: replaces an app's own RATE_LIMIT (e.g. Pro plans)
    app_rate_limits: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    webhook_allow_private: bool = False
    webhook_retry_schedule_s: tuple[float, ...] = DEFAULT_WEBHOOK_RETRY_SCHEDULE_S
    webhook_timeout_s: float = 15.0
    webhook_poll_interval_s: float = 1.0  # safety net; commits wake the worker at once
    user_token_ttl_s: int = 3600
    rate_limit_api: tuple[str, int] = ("minute", 600)  # per API key (or client IP without one)
    rate_limit_user: tuple[str, int] = ("minute", 600)  # per end user (verified user token)
    rate_limit_auth_failures: tuple[str, int] = ("minute", 20)  # per client address
    rate_limit_sign_in: tuple[str, int] = (
        "hour",
        20,
    )  # failed dashboard sign-ins per email and per address
    trusted_proxies: tuple[str, ...] = ()  # addresses/CIDRs whose X-Forwarded-For is believed
    # The workflow runtime (DBOS Transact). Empty: beside database_url (see runtime.engine).
    dbos_database_url: str = ""
    executor_id: str = "local"  # this process's DBOS executor id: unique per worker at scale
    run_executions: bool = True  # false: this process only enqueues (workers run them)
    run_queue_polling_interval_s: float = 0.05  # how often a process looks for queued runs
    run_concurrency: int = 32  # executions running at once in one process
    run_concurrency_per_user: int = 4  # executions of one end user running at once, globally
    # Transient failures of a block (connect error, timeout, 429, 5xx): attempts in all, and
    # the wait before the second, doubling each time (5 attempts: 4+8+16+32 = about 1 min).
    step_max_attempts: int = 5
    step_retry_interval_s: float = 4.0
    app_call_timeout_s: float = 15.0
    log_retention_days: int = 60
    demo: bool = False
    debug: bool = False
    # Start-up (health.startup): `serve` migrates after binding its port; requests wait up
    # to startup_wait_s for start-up to finish, then get 503.
    migrate_on_start: bool = False
    log_format: str = "console"  # or "json" (http.logs); `serve` and `worker` default to json
    # GET /metrics (Prometheus) exists only when this is set, and asks for it as a bearer token.
    metrics_token: str = ""
    startup_wait_s: float = 30.0
    # SIGTERM: stop accepting, let requests in flight finish for up to this, then stop the
    # delivery worker and the runtime (their unfinished work resumes at the next start).
    shutdown_grace_s: float = 30.0
    # Tracing (telemetry): on when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set (these two
    # are read without the INSTALL_SERVICE_ prefix, as every OpenTelemetry SDK reads them).
    otlp_endpoint: str = ""  # e.g. http://collector:4318; spans go to <it>/v1/traces
    otel_service_name: str = "install-service"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``).

        Raises:
            SettingsError: a variable is present but unusable.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(PREFIX + name)

        values: dict[str, object] = {}
        if (raw := get("VAR_DIR")) is not None:
            values["var_dir"] = Path(raw)
        for name, attr in (
            ("DATABASE_URL", "database_url"),
            ("PUBLIC_URL", "public_url"),
            ("JWT_PRIVATE_KEY", "jwt_private_key_pem"),
            ("WEBHOOK_PRIVATE_KEY", "webhook_private_key_pem"),
        ):
            if (raw := get(name)) is not None:
                values[attr] = raw
        if (raw := get("CREDENTIAL_KEYS")) is not None:
            values["credential_keys"] = tuple(k.strip() for k in raw.split(",") if k.strip())
        if (raw := get("LINK_KEYS")) is not None:
            values["link_keys"] = tuple(k.strip() for k in raw.split(",") if k.strip())
        if (raw := get("WEBHOOK_ALLOW_PRIVATE")) is not None:
            values["webhook_allow_private"] = _bool("WEBHOOK_ALLOW_PRIVATE", raw)
        if (raw := get("WEBHOOK_RETRY_SCHEDULE")) is not None:
            values["webhook_retry_schedule_s"] = _floats("WEBHOOK_RETRY_SCHEDULE", raw)
        if (raw := get("WEBHOOK_TIMEOUT")) is not None:
            values["webhook_timeout_s"] = _positive("WEBHOOK_TIMEOUT", raw)
        if (raw := get("RATE_LIMIT_API")) is not None:
            values["rate_limit_api"] = _rate("RATE_LIMIT_API", raw)
        if (raw := get("RATE_LIMIT_USER")) is not None:
            values["rate_limit_user"] = _rate("RATE_LIMIT_USER", raw)
        if (raw := get("RATE_LIMIT_AUTH_FAILURES")) is not None:
            values["rate_limit_auth_failures"] = _rate("RATE_LIMIT_AUTH_FAILURES", raw)
        if (raw := get("RATE_LIMIT_SIGN_IN")) is not None:
            values["rate_limit_sign_in"] = _rate("RATE_LIMIT_SIGN_IN", raw)
        if (raw := get("TRUSTED_PROXIES")) is not None:
            values["trusted_proxies"] = _networks("TRUSTED_PROXIES", raw)
        for name, attr in (
            ("DBOS_DATABASE_URL", "dbos_database_url"),
            ("EXECUTOR_ID", "executor_id"),
            ("METRICS_TOKEN", "metrics_token"),
        ):
            if (raw := get(name)) is not None:
                values[attr] = raw
        if (raw := get("RUN_EXECUTIONS")) is not None:
            values["run_executions"] = _bool("RUN_EXECUTIONS", raw)
        for name, attr in (
            ("RUN_CONCURRENCY", "run_concurrency"),
            ("RUN_CONCURRENCY_PER_USER", "run_concurrency_per_user"),
            ("STEP_MAX_ATTEMPTS", "step_max_attempts"),
            ("LOG_RETENTION_DAYS", "log_retention_days"),
        ):
            if (raw := get(name)) is not None:
                values[attr] = _count(name, raw)
        for name, attr in (
            ("RUN_QUEUE_POLLING_INTERVAL", "run_queue_polling_interval_s"),
            ("STEP_RETRY_INTERVAL", "step_retry_interval_s"),
            ("APP_CALL_TIMEOUT", "app_call_timeout_s"),
            ("STARTUP_WAIT", "startup_wait_s"),
            ("SHUTDOWN_GRACE", "shutdown_grace_s"),
            ("KEY_REFRESH", "key_refresh_s"),
        ):
            if (raw := get(name)) is not None:
                values[attr] = _positive(name, raw)
        if (raw := get("LOG_FORMAT")) is not None:
            if raw not in ("json", "console"):
                raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or console, not {raw!r}")
            values["log_format"] = raw
        if (raw := get("DEBUG")) is not None:
            values["debug"] = _bool("DEBUG", raw)
        if raw := env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
            if not raw.startswith(("http://", "https://")):
                raise SettingsError(
                    f"OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, not {raw!r}"
                )
            values["otlp_endpoint"] = raw
        if raw := env.get("OTEL_SERVICE_NAME", "").strip():
            values["otel_service_name"] = raw
        suffix = "_API_BASE"
        values["app_api_bases"] = {
            key[len(PREFIX) : -len(suffix)].lower(): value
            for key, value in env.items()
            if key.startswith(PREFIX) and key.endswith(suffix) and value
        }
        suffix = "_APP_RATE_LIMIT"
        values["app_rate_limits"] = {
            key[len(PREFIX) : -len(suffix)].lower(): _app_rate(key[len(PREFIX) :], value)
            for key, value in env.items()
            if key.startswith(PREFIX) and key.endswith(suffix) and value
        }
        return cls(**values)  # type: ignore[arg-type]

    def resolved(self, host: str = "127.0.0.1", port: int = 8000) -> Settings:
        """Fill derived defaults: the SQLite file under ``var_dir``, and the public URL from
        the address the server listens on (``host``, ``port``) when none was configured."""
        database_url = self.database_url or (
            f"sqlite+aiosqlite:///{(self.var_dir / 'install-service.db').resolve()}"
        )
        public_url = (self.public_url or f"http://{host}:{port}").rstrip("/")
        return replace(self, database_url=database_url, public_url=public_url)

    def api_base_for(self, app_key: str) -> str | None:
        """The ``INSTALL_SERVICE_<APP>_API_BASE`` override for a connector, if set."""
        return self.app_api_bases.get(app_key)

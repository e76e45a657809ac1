"""X-Forwarded-For and Forwarded change the client address the limits count only when the
peer is a proxy listed in INSTALL_SERVICE_TRUSTED_PROXIES (default: none), against the
real ``install-service serve`` reached from 127.0.0.1."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.databases import sqlite_url
from tests.support.processes import ServiceProcess, free_port, service_env

FAILURE_LIMIT = 3


@contextmanager
def serving(tmp_path: Path, **settings: str) -> Iterator[httpx.Client]:
    """A client of a fresh server allowing ``FAILURE_LIMIT`` failed authentications a minute."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var"),
            "INSTALL_SERVICE_DATABASE_URL": sqlite_url(tmp_path),
            "INSTALL_SERVICE_RATE_LIMIT_AUTH_FAILURES": f"{FAILURE_LIMIT}/minute",
        }
        | {f"INSTALL_SERVICE_{name}": value for name, value in settings.items()}
    )
    service = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "service.log")
    service.start()
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            yield client
    finally:
        service.stop()


def wrong_key_from(client: httpx.Client, **forwarding: str) -> int:
    """The status of an API call with a well-formed but unknown key, sent with ``forwarding``
    headers (``X-Forwarded-For`` or ``Forwarded``) from 127.0.0.1."""
    headers = {"Authorization": f"Bearer isk_dev_{secrets.token_urlsafe(32)}"}
    headers |= {name.replace("_", "-"): value for name, value in forwarding.items()}
    return client.get("/2023-12/users", headers=headers).status_code


def test_by_default_forwarded_addresses_share_the_peers_bucket(tmp_path: Path) -> None:
    with serving(tmp_path) as client:
        answers = [wrong_key_from(client, X_Forwarded_For=f"203.0.113.{n}") for n in range(4)]
        assert answers == [401] * FAILURE_LIMIT + [429]
        assert wrong_key_from(client, Forwarded="for=198.51.100.7") == 429
        assert wrong_key_from(client, X_Forwarded_For="198.51.100.8") == 429


def test_a_trusted_proxy_has_each_forwarded_address_counted(tmp_path: Path) -> None:
    with serving(tmp_path, TRUSTED_PROXIES="127.0.0.1") as client:
        for n in range(FAILURE_LIMIT + 2):
            assert wrong_key_from(client, X_Forwarded_For=f"203.0.113.{n}") == 401
        for _ in range(FAILURE_LIMIT - 1):
            assert wrong_key_from(client, X_Forwarded_For="203.0.113.0") == 401
        assert wrong_key_from(client, X_Forwarded_For="203.0.113.0") == 429
        assert wrong_key_from(client, X_Forwarded_For="203.0.113.99") == 401

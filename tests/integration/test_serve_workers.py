"""``install-service serve --workers N``: several processes on one port, PostgreSQL only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.databases import postgres_available
from tests.support.processes import CLI, REPO_ROOT, ServiceProcess, free_port, run_cli, service_env


def _env(tmp_path: Path, database_url: str, url: str) -> dict[str, str]:
    return service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var"),
            "INSTALL_SERVICE_DATABASE_URL": database_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
        }
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_refuses_workers_readably(tmp_path: Path, database_url: str) -> None:
    done = subprocess.run(
        [str(CLI), "serve", "--port", str(free_port()), "--workers", "2"],
        env=_env(tmp_path, database_url, "http://127.0.0.1:1"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--workers needs PostgreSQL" in done.stderr


@pytest.mark.skipif(not postgres_available(), reason="no throwaway PostgreSQL (make test)")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_workers_serve_one_port_on_postgresql(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _env(tmp_path, database_url, url)
    isv = json.loads(run_cli(["isv", "create", "--name", "Two", "--json"], env))
    server = ServiceProcess(
        ["serve", "--port", str(port), "--workers", "2"], env, url, tmp_path / "serve.log"
    )
    server.start(timeout_s=60)
    try:
        headers = {"Authorization": f"Bearer {isv['apiKey']}"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as api:
            created = api.post("/2024-03/users", json={"username": "gregg"})
            assert created.status_code == 201, created.text
            for _ in range(8):  # new connections, so both processes answer some
                with httpx.Client(base_url=url, headers=headers, timeout=10) as fresh:
                    assert (
                        fresh.get(f"/2024-03/users/{created.json()['userId']}").status_code == 200
                    )
    finally:
        server.stop()
    log = (tmp_path / "serve.log").read_text()
    assert log.count("Application startup complete") == 2, log

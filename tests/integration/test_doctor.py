"""``install-service doctor``, run as an operator would against a real database: the exit
status says whether anything FAILs, each line names the setting, and no secret is shown."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from install_service.settings import Settings
from tests.conftest import make_isv
from tests.support.processes import CLI, REPO_ROOT, free_port, service_env
from tests.support.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")
PRODUCTION_URL = "https://install.example.com"


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    """``run("doctor", env={...})``: the command with only these INSTALL_SERVICE_ settings
    (a var dir of its own and the test database) plus ``env``."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        settings = {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "cli-var"),
            "INSTALL_SERVICE_DATABASE_URL": database_url,
        }
        return subprocess.run(
            [str(CLI), *args],
            env=service_env(settings | (env or {})),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def lines(done: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """{check name: [its statuses]} from the aligned text output."""
    found: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        status, name = line[:4].strip(), line[5:].split("  ", 1)[0].strip()
        found.setdefault(name, []).append(status)
    return found


def test_a_clean_development_config_passes_with_warnings_for_generated_keys(run) -> None:
    done = run("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert found["database"] == ["OK"] and found["migrations"] == ["OK"]
    assert found["jwt key"] == ["WARN"] and found["credential keys"] == ["WARN"]
    assert "generated under var/keys" in done.stdout
    assert found["webhook guard"] == ["OK"]


def test_allow_private_in_production_fails_and_names_the_setting(run) -> None:
    done = run(
        "doctor",
        env={
            "INSTALL_SERVICE_PUBLIC_URL": PRODUCTION_URL,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
        },
    )
    assert done.returncode == 1
    assert lines(done)["webhook guard"] == ["FAIL"]
    assert "FAIL webhook guard" in done.stdout
    assert "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE=true outside development" in done.stdout
    assert "Traceback" not in done.stderr


def test_an_http_public_url_in_production_fails(run) -> None:
    done = run("doctor", "--json", env={"INSTALL_SERVICE_PUBLIC_URL": "http://install.example.com"})
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    [public] = [c for c in report["checks"] if c["name"] == "public url"]
    assert public["status"] == "FAIL"
    assert "http outside localhost" in public["reason"]

    fixed = run("doctor", "--json", env={"INSTALL_SERVICE_PUBLIC_URL": PRODUCTION_URL})
    assert fixed.returncode == 0, fixed.stdout


async def test_webhook_urls_warn_when_nobody_listens_and_pass_on_a_real_server(
    run, settings: Settings, receiver: Receiver
) -> None:
    dead_port = free_port()
    await make_isv(settings, "AcmeCo", receiver.url + "?token=s3cret-in-the-query")
    await make_isv(settings, "DownCo", f"http://127.0.0.1:{dead_port}/hook")

    done = run("doctor", "--json", env={"INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true"})
    assert done.returncode == 0, done.stdout + done.stderr
    webhooks = [c for c in json.loads(done.stdout)["checks"] if c["name"] == "webhooks"]
    by_isv = {c["reason"].split(" ")[0]: c for c in webhooks}
    assert by_isv["AcmeCo"]["status"] == "OK", webhooks
    assert "reachable" in by_isv["AcmeCo"]["reason"]
    assert by_isv["DownCo"]["status"] == "WARN", webhooks
    assert f"127.0.0.1:{dead_port}: unreachable" in by_isv["DownCo"]["reason"]
    assert "s3cret" not in done.stdout + done.stderr

    receiver.stop()  # the same URL with nobody listening any more
    down = run("doctor", "--json", env={"INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true"})
    assert down.returncode == 0
    statuses = {c["status"] for c in json.loads(down.stdout)["checks"] if c["name"] == "webhooks"}
    assert statuses == {"WARN"}

    # The same URLs with the guard on (the default): loopback is refused, every delivery fails.
    guarded = run("doctor", "--json")
    assert guarded.returncode == 1
    statuses = {
        c["status"] for c in json.loads(guarded.stdout)["checks"] if c["name"] == "webhooks"
    }
    assert statuses == {"FAIL"}


def test_a_data_key_wrapped_by_a_root_key_no_longer_configured_fails(run) -> None:
    old_root, new_root = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    rotated = run(
        "keys",
        "rotate-credential-key",
        "--propagation-wait",
        "0",
        env={"INSTALL_SERVICE_CREDENTIAL_KEYS": old_root},
    )
    assert rotated.returncode == 0, rotated.stderr
    assert run("doctor", env={"INSTALL_SERVICE_CREDENTIAL_KEYS": old_root}).returncode == 0

    done = run("doctor", env={"INSTALL_SERVICE_CREDENTIAL_KEYS": new_root})
    assert done.returncode == 1
    assert lines(done)["data keys"] == ["FAIL"]
    assert "which is not configured" in done.stdout
    assert old_root not in done.stdout and new_root not in done.stdout

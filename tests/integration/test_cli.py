"""The real ``install-service`` command, run as an operator would, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from install_service.isvs.auth_cache import API_KEYS, USERS
from install_service.settings import PROJECT_ROOT
from tests.support.db_rows import count

pytestmark = pytest.mark.usefixtures("backend")


def after_auth_cache_ttl() -> None:
    """What ``AUTH_CACHE_TTL_S`` does to this process's authentication caches (the test
    client's) after the CLI, another process, changed an ISV or its keys: forget them."""
    API_KEYS.clear()
    USERS.clear()


COMMAND = Path(sys.executable).parent / "install-service"
EXAMPLE = PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml"


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    """``run("isv", "create", ...)`` runs the command with a clean INSTALL_SERVICE_ environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTALL_SERVICE_")}
    env |= {
        "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "cli-var"),
        "INSTALL_SERVICE_DATABASE_URL": database_url,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(COMMAND), *args],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def create_isv(run) -> dict[str, str]:
    done = run(
        "isv", "create", "--name", "X", "--allowed-origin", "http://localhost:9100", "--json"
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_readable_failure(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    for text in expected:
        assert text in done.stderr, done.stderr


async def test_migrate_succeeds_and_can_run_again(run) -> None:
    for _ in range(2):
        done = run("migrate")
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout


async def test_isv_create_prints_its_id_and_secrets_as_json(run, database_url: str) -> None:
    created = create_isv(run)
    assert set(created) >= {"isvId", "apiKey", "webhookSecret"}
    uuid.UUID(created["isvId"])
    assert created["apiKey"].startswith("isk_dev_") and created["webhookSecret"].startswith(
        "whsec_"
    )
    assert created["productionApiKey"].startswith("isk_prod_")
    assert await count(database_url, "isv") == 1
    second = create_isv(run)
    assert second["isvId"] != created["isvId"] and second["apiKey"] != created["apiKey"]


async def test_catalog_load_is_idempotent(run, database_url: str) -> None:
    isv_id = create_isv(run)["isvId"]
    first = run("catalog", "load", str(EXAMPLE), "--isv", isv_id)
    assert first.returncode == 0, first.stderr
    loaded = json.loads(first.stdout)
    assert (loaded["workflowsCreated"], loaded["versionsCreated"]) == (2, 2)
    again = run("catalog", "load", str(EXAMPLE), "--isv", isv_id)
    assert again.returncode == 0, again.stderr
    reloaded = json.loads(again.stdout)
    assert (reloaded["workflowsCreated"], reloaded["versionsCreated"]) == (0, 0)
    assert reloaded["integrations"] == loaded["integrations"]
    counts = [await count(database_url, t) for t in ("integration", "workflow", "workflow_version")]
    assert counts == [1, 2, 2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("integrations: [unclosed\n", "broken.yaml"),
        (
            "integrations:\n  - key: x\n    app: nosuchapp\n    name: X\n    workflows: []\n",
            "unknown app 'nosuchapp'",
        ),
    ],
    ids=["missing-file", "not-yaml", "unknown-app"],
)
async def test_catalog_load_of_a_bad_file_fails_readably_and_loads_nothing(
    run, tmp_path: Path, database_url: str, content: str | None, expected: str
) -> None:
    isv_id = create_isv(run)["isvId"]
    path = tmp_path / "broken.yaml"
    if content is not None:
        path.write_text(content)
    assert_readable_failure(run("catalog", "load", str(path), "--isv", isv_id), expected)
    assert await count(database_url, "integration") == 0


@pytest.mark.parametrize(
    "isv_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown-uuid", "not-a-uuid"]
)
async def test_catalog_load_for_an_unknown_isv_fails_readably(
    run, database_url: str, isv_id: str
) -> None:
    create_isv(run)
    assert_readable_failure(
        run("catalog", "load", str(EXAMPLE), "--isv", isv_id), f"No ISV with id {isv_id}"
    )
    assert await count(database_url, "integration") == 0


async def test_rotate_webhook_secret_prints_a_new_secret_and_keeps_the_old_for_a_day(run) -> None:
    created = create_isv(run)
    done = run("isv", "rotate-webhook-secret", "--isv", created["isvId"], "--json")
    assert done.returncode == 0, done.stderr
    rotated = json.loads(done.stdout)
    assert (
        rotated["webhookSecret"].startswith("whsec_")
        and rotated["webhookSecret"] != created["webhookSecret"]
    )
    assert rotated["previousSecretExpiresAt"].endswith("Z")
    assert_readable_failure(
        run("isv", "rotate-webhook-secret", "--isv", "not-a-uuid"), "No ISV with id not-a-uuid"
    )


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


async def test_isv_create_gives_two_working_keys_each_seeing_only_its_users(run, client) -> None:
    created = create_isv(run)
    dev, prod = bearer(created["apiKey"]), bearer(created["productionApiKey"])
    assert (
        await client.post("/2023-12/users", json={"username": "dev-user"}, headers=dev)
    ).status_code == 201
    assert (
        await client.post("/2023-12/users", json={"username": "prod-user"}, headers=prod)
    ).status_code == 201
    for headers, username in ((dev, "dev-user"), (prod, "prod-user")):
        listed = await client.get("/2023-12/users", headers=headers)
        assert [u["username"] for u in listed.json()["data"]] == [username]


@pytest.mark.parametrize(
    ("environment", "key_field"), [("development", "apiKey"), ("production", "productionApiKey")]
)
async def test_rotate_api_key_prints_a_new_key_and_revokes_the_old(
    run, client, environment: str, key_field: str
) -> None:
    created = create_isv(run)
    other_field = "productionApiKey" if key_field == "apiKey" else "apiKey"
    assert (
        await client.post(
            "/2023-12/users", json={"username": "gregg"}, headers=bearer(created[key_field])
        )
    ).status_code == 201

    done = run(
        "isv", "rotate-api-key", "--isv", created["isvId"], "--environment", environment, "--json"
    )
    assert done.returncode == 0, done.stderr
    rotated = json.loads(done.stdout)
    assert rotated["environment"] == environment and rotated["apiKey"] != created[key_field]
    assert rotated["apiKey"].startswith("isk_dev_" if environment == "development" else "isk_prod_")

    after_auth_cache_ttl()
    old = await client.get("/2023-12/users", headers=bearer(created[key_field]))
    assert old.status_code == 401 and old.json()["code"] == "unauthorized"
    new = await client.get("/2023-12/users", headers=bearer(rotated["apiKey"]))
    assert [u["username"] for u in new.json()["data"]] == ["gregg"]
    untouched = await client.get("/2023-12/users", headers=bearer(created[other_field]))
    assert untouched.status_code == 200 and untouched.json()["data"] == []

    plain = run("isv", "rotate-api-key", "--isv", created["isvId"], "--environment", environment)
    assert plain.returncode == 0 and "apiKey: isk_" in plain.stdout
    after_auth_cache_ttl()
    assert (
        await client.get("/2023-12/users", headers=bearer(rotated["apiKey"]))
    ).status_code == 401


async def test_rotate_api_key_refuses_unknown_isvs_and_environments_readably(run, client) -> None:
    created = create_isv(run)
    assert_readable_failure(
        run("isv", "rotate-api-key", "--isv", "not-a-uuid", "--environment", "production"),
        "No ISV with id not-a-uuid",
    )
    assert_readable_failure(
        run("isv", "rotate-api-key", "--isv", created["isvId"], "--environment", "staging"),
        "staging",
    )
    for key in (created["apiKey"], created["productionApiKey"]):
        assert (await client.get("/2023-12/users", headers=bearer(key))).status_code == 200


HOOKS = "https://93.184.215.14/hooks"  # global addresses: the CLI runs with the SSRF guard on
ERRORS = "https://93.184.215.14/errors"


async def test_isv_create_and_update_set_the_webhook_urls(run, client) -> None:
    done = run(
        "isv", "create", "--name", "X", "--webhook-url", HOOKS, "--error-webhook-url", ERRORS,
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)

    async def current() -> dict:
        answer = await client.get("/2023-12/webhooks/settings", headers=bearer(created["apiKey"]))
        return answer.json()

    assert await current() == {"webhookUrl": HOOKS, "errorWebhookUrl": ERRORS}

    moved = HOOKS + "/v2"
    done = run("isv", "update", "--isv", created["isvId"], "--webhook-url", moved, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"webhookUrl": moved, "errorWebhookUrl": ERRORS}
    done = run("isv", "update", "--isv", created["isvId"], "--error-webhook-url", "", "--json")
    assert json.loads(done.stdout) == {"webhookUrl": moved, "errorWebhookUrl": None}
    after_auth_cache_ttl()
    assert await current() == {"webhookUrl": moved, "errorWebhookUrl": None}
    done = run("isv", "update", "--isv", created["isvId"], "--error-webhook-url", ERRORS)
    assert done.returncode == 0 and f"errorWebhookUrl: {ERRORS}" in done.stdout


async def test_isv_update_refuses_unsafe_urls_and_unknown_isvs_readably_and_changes_nothing(
    run, client
) -> None:
    created = create_isv(run)
    isv_id = created["isvId"]
    for option, url, expected in (
        ("--error-webhook-url", "ftp://93.184.215.14/errors", "errorWebhookUrl: "),
        ("--error-webhook-url", "http://10.0.0.5/hook", "errorWebhookUrl: "),
        ("--webhook-url", "http://169.254.169.254/latest/meta-data", "webhookUrl: "),
    ):
        done = run("isv", "update", "--isv", isv_id, "--webhook-url", HOOKS, option, url)
        assert_readable_failure(done, expected, url.split("/")[2])
    assert_readable_failure(run("isv", "update", "--isv", isv_id), "--webhook-url")
    assert_readable_failure(
        run("isv", "update", "--isv", "not-a-uuid", "--webhook-url", HOOKS),
        "No ISV with id not-a-uuid",
    )
    answer = await client.get("/2023-12/webhooks/settings", headers=bearer(created["apiKey"]))
    assert answer.json() == {"webhookUrl": None, "errorWebhookUrl": None}

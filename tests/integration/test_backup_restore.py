"""``install-service backup`` beside a serving process, then ``restore`` into an empty data
directory: the restored service has every installation, opens every credential, finishes
the run that was cut short and delivers the webhook that was still pending (SQLite)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import stat
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.conftest import EXAMPLE_CATALOG, IsvFixture
from tests.support.databases import create_postgres_database, postgres_available
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.processes import (
    CLI,
    REPO_ROOT,
    ServiceProcess,
    free_port,
    run_cli,
    service_env,
)
from tests.support.receiver import Receiver
from tests.support.runtime import EVENT, install_over_http, order_event
from tests.support.webhooks import is_installation_webhook, verify_both
from tests.support.workflows import BASE

# Deliveries retry every second for 100 s: still pending when the backup is restored.
RETRY_EVERY_SECOND = ",".join(["1"] * 100)


def data_env(var_dir: Path, url: str, bigcommerce: FakeBigCommerce) -> dict[str, str]:
    """A deployment whose data is all under ``var_dir`` (the default SQLite files there and
    generated development keys: none come from the environment)."""
    return service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(var_dir),
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE": RETRY_EVERY_SECOND,
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": bigcommerce.api_base,
        }
    )


def new_isv(env: dict[str, str], webhook_url: str) -> IsvFixture:
    created = json.loads(
        run_cli(["isv", "create", "--name", "AcmeCo", "--webhook-url", webhook_url, "--json"], env)
    )
    loaded = json.loads(
        run_cli(["catalog", "load", str(EXAMPLE_CATALOG), "--isv", created["isvId"]], env)
    )
    return IsvFixture(
        created["isvId"],
        created["apiKey"],
        created["webhookSecret"],
        loaded["integrations"]["acme-bigcommerce"],
    )


async def send_event(api: httpx.AsyncClient, user_id: str, status: str) -> str:
    sent = await api.post(
        f"{BASE}/run/event",
        json={"event": EVENT, "userId": user_id, "data": order_event("101", status)},
    )
    assert sent.status_code == 200, sent.text
    [execution_id] = sent.json()["executionIds"]
    return execution_id


async def finished(
    api: httpx.AsyncClient, user_id: str, workflow_id: str, execution_id: str
) -> dict[str, Any] | None:
    page = await api.get(
        f"{BASE}/workflows/{workflow_id}/logs", params={"userId": user_id, "limit": 100}
    )
    found = [e for e in page.json()["data"] if e["executionId"] == execution_id]
    return found[0] if found and found[0]["finished"] else None


async def test_a_backup_taken_while_serving_restores_into_a_working_service(
    store: FakeBigCommerce, tmp_path: Path
) -> None:
    receiver = Receiver(port=free_port())  # the ISV's webhook receiver: down until the end
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = data_env(tmp_path / "var", url, store)
    isv = new_isv(env, receiver.url)
    backup = tmp_path / "backup"
    server = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "a.log").start()
    release = store.hang_next()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            user_id, workflow_id = await install_over_http(api, isv, "gregg")
            public_key = (await api.get("/security/public-key.pem")).content
            cut_short = await send_event(api, user_id, "CANCELLED")
            store.wait_for_orders_call(1)  # the run waits on BigCommerce: unfinished in DBOS

            backing_up = asyncio.create_task(
                asyncio.to_thread(run_cli, ["backup", str(backup)], env)
            )
            installed_before = [user_id]
            while not backing_up.done():  # installs go on while the backup copies
                username = f"user{len(installed_before)}"
                installed_before.append((await install_over_http(api, isv, username))[0])
            report = await backing_up
            assert len(installed_before) > 1  # traffic did overlap the backup
            assert await finished(api, user_id, workflow_id, cut_short) is None
    finally:
        server.kill()  # a crash: nothing of this process's state after the backup matters
        release.set()
    assert "database.sqlite" in report and "dbos.sqlite" in report and "keys/" in report

    restored_env = data_env(tmp_path / "restored-var", url, store)
    restored = run_cli(["restore", str(backup)], restored_env)
    assert "install-service.db" in restored
    key_files = sorted((tmp_path / "restored-var" / "keys").iterdir())
    assert [p.name for p in key_files] == sorted(p.name for p in (tmp_path / "var/keys").iterdir())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in key_files)

    server = ServiceProcess(
        ["serve", "--port", str(port)], restored_env, url, tmp_path / "b.log"
    ).start()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            listed = await api.get(f"{BASE}/integrations/{isv.integration_id}/installations")
            assert listed.status_code == 200, listed.text
            users = {i["userId"] for i in listed.json()["data"]}
            # One moment's copy: the installs up to some point, with no gap.
            assert user_id in users and users == set(installed_before[: len(users)])

            # The run cut short resumes from DBOS's copy and calls BigCommerce again with the
            # user's own token (opened with the restored key; a wrong one answers 401).
            resumed = await eventually(
                partial(finished, api, user_id, workflow_id, cut_short), timeout_s=30
            )
            assert resumed["status"] == "success", resumed
            assert store.orders_calls(answered=True)[-1].headers["x-auth-token"] == ACCESS_TOKEN
            later = await send_event(api, user_id, "DELIVERED")
            ran = await eventually(
                partial(finished, api, user_id, workflow_id, later), timeout_s=30
            )
            assert ran["status"] == "success", ran
            assert store.order(STORE_HASH, 101)["status_id"] == 10  # DELIVERED -> Completed

            # The installation webhook still pending at the backup goes out once the receiver
            # is up, signed with the restored webhook secret and RSA key.
            assert (await api.get("/security/public-key.pem")).content == public_key
            receiver.start()
            [webhook] = await asyncio.to_thread(
                receiver.wait_for, 1, 30, partial(is_installation_webhook, user_id=user_id)
            )
            verify_both(webhook, receiver.url, isv.webhook_secret, public_key)
    finally:
        server.stop()
        receiver.stop()


def refused(args: list[str], env: dict[str, str]) -> str:
    """Run ``install-service <args>``, which must fail with exit status 1; its stderr."""
    done = subprocess.run(
        [str(CLI), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr


def test_the_commands_refuse_with_a_message_and_exit_status_1(tmp_path: Path) -> None:
    env = service_env({"INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var")})
    run_cli(["migrate"], env)
    run_cli(["backup", str(tmp_path / "backup")], env)

    used = tmp_path / "used-var"
    used.mkdir()
    (used / "install-service.db").write_bytes(b"the live one")
    used_env = service_env({"INSTALL_SERVICE_VAR_DIR": str(used)})
    message = refused(["restore", str(tmp_path / "backup")], used_env)
    assert f"Error: the data directory (INSTALL_SERVICE_VAR_DIR) {used} is not empty" in message
    assert (used / "install-service.db").read_bytes() == b"the live one"

    with (tmp_path / "backup" / "database.sqlite").open("r+b") as db:
        db.seek(100)
        db.write(b"tampered")
    new_env = service_env({"INSTALL_SERVICE_VAR_DIR": str(tmp_path / "new-var")})
    message = refused(["restore", str(tmp_path / "backup")], new_env)
    assert "corrupt or incomplete" in message and "database.sqlite: checksum mismatch" in message
    assert not (tmp_path / "new-var").exists()

    password = "s3cret-password"
    pg_env = env | {
        "INSTALL_SERVICE_DATABASE_URL": f"postgresql+asyncpg://install:{password}@db/install"
    }
    message = refused(["backup", str(tmp_path / "pg-backup")], pg_env)
    assert "pg_dump -Fc" in message and "README" in message and password not in message
    assert not (tmp_path / "pg-backup").exists()


def configured_keys() -> dict[str, str]:
    """Every key from the environment, as in production (PostgreSQL: no var/keys)."""

    def pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    return {
        "INSTALL_SERVICE_JWT_PRIVATE_KEY": pem(ed25519.Ed25519PrivateKey.generate()),
        "INSTALL_SERVICE_WEBHOOK_PRIVATE_KEY": pem(
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        "INSTALL_SERVICE_CREDENTIAL_KEYS": base64.b64encode(os.urandom(32)).decode(),
        "INSTALL_SERVICE_LINK_KEYS": base64.b64encode(os.urandom(32)).decode(),
    }


@pytest.mark.postgres
@pytest.mark.skipif(
    not postgres_available() or not shutil.which("pg_dump"), reason="no PostgreSQL (make test)"
)
async def test_the_readme_pg_dump_recipe_restores_a_postgresql_deployment(
    store: FakeBigCommerce, tmp_path: Path
) -> None:
    """README, "Backups": pg_dump -Fc of our database (DBOS's tables in its dbos schema),
    pg_restore --no-owner into a new one; the keys come from the environment."""
    receiver = Receiver(port=free_port())  # down: the installation webhook stays pending
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    keys = configured_keys()
    source_url = await create_postgres_database()
    env = data_env(tmp_path / "var", url, store) | keys
    env["INSTALL_SERVICE_DATABASE_URL"] = source_url
    isv = new_isv(env, receiver.url)
    server = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "a.log").start()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            user_id, workflow_id = await install_over_http(api, isv, "gregg")
    finally:
        server.stop()

    dump = tmp_path / "install-service.dump"
    plain = {"PATH": os.environ["PATH"]}
    libpq_url = source_url.replace("postgresql+asyncpg://", "postgresql://")
    dumped = ["pg_dump", "-Fc", "--dbname", libpq_url, "--file", str(dump)]
    await asyncio.to_thread(subprocess.run, dumped, check=True, env=plain)
    target_url = await create_postgres_database()
    target_db = target_url.replace("postgresql+asyncpg://", "postgresql://")
    restore = ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", target_db, str(dump)]
    await asyncio.to_thread(subprocess.run, restore, check=True, env=plain)

    restored_env = data_env(tmp_path / "other-var", url, store) | keys
    restored_env["INSTALL_SERVICE_DATABASE_URL"] = target_url
    server = ServiceProcess(
        ["serve", "--port", str(port)], restored_env, url, tmp_path / "b.log"
    ).start()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            listed = await api.get(f"{BASE}/integrations/{isv.integration_id}/installations")
            assert [i["userId"] for i in listed.json()["data"]] == [user_id]
            ran = await send_event(api, user_id, "CANCELLED")
            done = await eventually(partial(finished, api, user_id, workflow_id, ran), timeout_s=30)
            assert done["status"] == "success", done
            receiver.start()
            [webhook] = await asyncio.to_thread(
                receiver.wait_for, 1, 30, partial(is_installation_webhook, user_id=user_id)
            )
            public_key = (await api.get("/security/public-key.pem")).content
            verify_both(webhook, receiver.url, isv.webhook_secret, public_key)
    finally:
        server.stop()
        receiver.stop()

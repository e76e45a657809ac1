"""Credential-key rotation under traffic: ``install-service keys rotate-credential-key`` runs
beside a serving process that keeps installing and running workflows; afterwards every
credential is sealed by the new key, and every end user's runs still call BigCommerce with
that user's own token."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import eventually
from tests.support.processes import ServiceProcess, free_port, run_cli, runtime_env, service_env
from tests.support.runtime import EVENT, FULFILLMENT_WORKFLOW

pytestmark = pytest.mark.usefixtures("backend")
BASE = "/2023-12"


class Shop:
    """The ISV's API against a real server, and end users each with their own store."""

    def __init__(self, api: httpx.AsyncClient, isv: IsvFixture, bigcommerce: FakeBigCommerce):
        self.api, self.isv, self.bigcommerce = api, isv, bigcommerce
        self.users: dict[str, str] = {}  # userId -> fulfillment workflowId
        self.executions: list[tuple[str, str, str]] = []  # (userId, workflowId, executionId)

    async def install(self, n: int) -> str:
        store, token = f"store{n}", f"token-of-store-{n}"
        self.bigcommerce.set_token(store, token)
        self.bigcommerce.add_order(store, 101, status_id=11)
        created = await self.api.post(f"{BASE}/users", json={"username": f"user{n}"})
        user_id = created.json()["userId"]
        user_token = (await self.api.get(f"{BASE}/users/{user_id}/token")).json()["token"]
        done = await self.api.post(
            "/forge-install/install",
            data={
                "integrationId": self.isv.integration_id,
                "storeHash": store,
                "accessToken": token,
            },
            headers={"x-alloy-user-token": user_token},
        )
        assert done.status_code == 200, done.text
        workflows = (await self.api.get(f"{BASE}/workflows", params={"userId": user_id})).json()
        [workflow_id] = [
            w["workflowId"] for w in workflows["data"] if w["name"] == FULFILLMENT_WORKFLOW
        ]
        self.users[user_id] = workflow_id
        return user_id

    async def run(self, user_id: str) -> None:
        event = {
            "event": EVENT,
            "userId": user_id,
            "data": {"orderId": "101", "status": "DELIVERED"},
        }
        sent = await self.api.post(f"{BASE}/run/event", json=event)
        assert sent.status_code == 200, sent.text
        for execution_id in sent.json()["executionIds"]:
            self.executions.append((user_id, self.users[user_id], execution_id))

    async def all_succeeded(self) -> None:
        """Every run sent so far ends in success (a wrong token would fail it: the fake
        BigCommerce answers 401 to any token but the store's own)."""
        for user_id, workflow_id, execution_id in self.executions:
            execution = await eventually(
                partial(self.finished, user_id, workflow_id, execution_id), timeout_s=30
            )
            assert execution["status"] == "success", execution

    async def finished(self, user_id: str, workflow_id: str, execution_id: str) -> Any:
        page = await self.api.get(
            f"{BASE}/workflows/{workflow_id}/logs", params={"userId": user_id, "limit": 100}
        )
        found = [e for e in page.json()["data"] if e["executionId"] == execution_id]
        return found[0] if found and found[0]["finished"] else None


def key_status(env: dict[str, str]) -> list[dict[str, Any]]:
    return json.loads(run_cli(["keys", "status", "--json"], env))


async def test_rotation_under_traffic_leaves_every_credential_usable(
    settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        runtime_env(tmp_path / "service-var", settings.database_url, url, bigcommerce.api_base)
        | {"INSTALL_SERVICE_KEY_REFRESH": "0.2"}
    )
    server = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "s.log").start()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers, timeout=30) as api:
            shop = Shop(api, isv, bigcommerce)
            for n in range(3):
                await shop.run(await shop.install(n))
            [root] = key_status(env)
            assert root["kind"] == "root" and root["rows"]["credential"] == 3

            rotating = asyncio.create_task(
                asyncio.to_thread(
                    run_cli,
                    [
                        "keys",
                        "rotate-credential-key",
                        "--propagation-wait",
                        "1",
                        "--batch-size",
                        "2",
                    ],
                    env,
                )
            )
            n = 3
            while not rotating.done():  # installs and runs all through the rotation
                user_id = await shop.install(n)
                for other in list(shop.users)[-3:]:
                    await shop.run(other)
                await shop.run(user_id)
                n += 1
            assert "seals every credential" in await rotating
            assert n > 4  # traffic did overlap the rotation

            after = key_status(env)
            [old] = [k for k in after if k["kid"] == root["kid"]]
            [new] = [k for k in after if k["state"] == "active"]
            assert old["rows"] == {"credential": 0, "hook_subscription": 0}
            assert new["sealing"] and new["rows"]["credential"] == len(shop.users) == n
            assert new["rows"]["hook_subscription"] > 0  # the trigger hooks' secrets too

            for user_id in shop.users:  # every credential opens, with the right token
                await shop.run(user_id)
            await shop.run(await shop.install(n))  # and new installs work after it
            await shop.all_succeeded()

            # A second rotation; the first data key is then unused and can be retired.
            run_cli(["keys", "rotate-credential-key", "--propagation-wait", "1"], env)
            run_cli(["keys", "retire", new["kid"]], env)
            assert new["kid"] not in {k["kid"] for k in key_status(env)}
            for user_id in list(shop.users)[:3]:
                await shop.run(user_id)
            await shop.all_succeeded()
    finally:
        server.stop()

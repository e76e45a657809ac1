"""``install-service triggers reconcile``: a hook BigCommerce turned off is switched back on,
one the store lost is registered afresh; each change is printed. The command runs as a
user runs it, beside the running service (which takes the re-registration off the queue)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar.testing import AsyncTestClient

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.processes import run_cli, service_env
from tests.support.workflows import installed_user

pytestmark = pytest.mark.usefixtures("backend")


async def test_reconcile_switches_hooks_back_on_and_re_creates_lost_ones(
    client: AsyncTestClient,
    isv: IsvFixture,
    store: FakeBigCommerce,
    modal_settings: Settings,
) -> None:
    await installed_user(client, isv, "turned-off")
    [first] = store.wait_for_hooks(STORE_HASH, 1)
    await installed_user(client, isv, "lost")
    second = next(h for h in store.wait_for_hooks(STORE_HASH, 2) if h["id"] != first["id"])
    store.deactivate_hook(STORE_HASH, first["id"])
    async with httpx.AsyncClient() as http:  # the store owner deletes it
        lost = await http.delete(
            f"{store.api_base}/stores/{STORE_HASH}/v3/hooks/{second['id']}",
            headers={"X-Auth-Token": ACCESS_TOKEN},
        )
    assert lost.status_code == 200, lost.text

    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(modal_settings.var_dir),
            "INSTALL_SERVICE_DATABASE_URL": modal_settings.database_url,
            "INSTALL_SERVICE_PUBLIC_URL": modal_settings.public_url,
            "INSTALL_SERVICE_CREDENTIAL_KEYS": ",".join(modal_settings.credential_keys),
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": store.api_base,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
        }
    )
    printed = await asyncio.to_thread(run_cli, ["triggers", "reconcile", "--isv", isv.isv_id], env)

    assert "switched back on" in printed and "registering afresh (the hook was gone)" in printed
    assert printed.strip().endswith("2 change(s)")
    hooks = store.wait_for_hooks(STORE_HASH, 2)  # the running service re-registered the lost one
    assert all(h["is_active"] for h in hooks)
    assert first["id"] in {h["id"] for h in hooks} and second["id"] not in {h["id"] for h in hooks}
    again = await asyncio.to_thread(run_cli, ["triggers", "reconcile"], env)
    assert again.strip() == "0 change(s)"

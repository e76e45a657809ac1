"""The installation webhook is written with the installation, or not at all, and survives
the service being killed in the middle of sending it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from install_service.catalog.services import get_integration
from install_service.db.config import sqlalchemy_config
from install_service.db.models import EndUser
from install_service.errors import Gone
from install_service.installs.services import install, plan_install
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import load_keys
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import count, rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.processes import ServiceProcess, free_port, service_env
from tests.support.receiver import Receiver, Reply

pytestmark = pytest.mark.usefixtures("backend")

BIGCOMMERCE_FORM = {"storeHash": STORE_HASH, "accessToken": ACCESS_TOKEN}


@pytest.mark.parametrize("rolled_back", [True, False], ids=["rolled-back", "committed"])
async def test_a_rolled_back_installation_leaves_no_delivery(
    settings: Settings, isv: IsvFixture, rolled_back: bool
) -> None:
    """``rolled_back``: the link claim fails at the end of the install transaction, as when
    a second tab finished the same install link first. The committed case is the control."""

    async def link_already_used(session: object) -> None:
        raise Gone("This install link was already used", code="link_used")

    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            user = EndUser(isv_id=uuid.UUID(isv.isv_id), username="gregg")
            session.add(user)
            await session.commit()
            plan = await plan_install(
                session,
                user=user,
                integration=await get_integration(session, user.isv_id, isv.integration_id),
            )
            cipher = CredentialCipher(load_keys(settings).credential_keys)
            if rolled_back:
                with pytest.raises(Gone):
                    await install(
                        session, plan, BIGCOMMERCE_FORM, {}, cipher, before_commit=link_already_used
                    )
            else:
                await install(session, plan, BIGCOMMERCE_FORM, {}, cipher)
    finally:
        await config.get_engine().dispose()

    expected = 0 if rolled_back else 1
    for table in ("installation", "credential", "webhook_delivery"):
        assert await count(settings.database_url, table) == expected, table


async def test_a_service_killed_mid_attempt_delivers_after_restart(
    settings: Settings,
    isv: IsvFixture,
    receiver: Receiver,
    bigcommerce: FakeBigCommerce,
    tmp_path: Path,
) -> None:
    """SIGKILL while the receiver is still answering the first attempt: nothing about that
    attempt was recorded, and the restarted service sends the webhook again once the dead
    process's lease (timeout 2 s + margin 2 s) has run out."""
    receiver.replies = [Reply(200, delay_s=30.0)]  # the first attempt hangs
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "service-var"),
            "INSTALL_SERVICE_DATABASE_URL": settings.database_url,
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_WEBHOOK_TIMEOUT": "2",
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": bigcommerce.api_base,
        }
    )
    service = ServiceProcess(["serve", "--port", str(port)], env, url, tmp_path / "service.log")
    service.start()
    try:
        async with httpx.AsyncClient(base_url=url, headers=isv.headers) as api:
            user_id = (await api.post("/2023-12/users", json={"username": "gregg"})).json()[
                "userId"
            ]
            token = (await api.get(f"/2023-12/users/{user_id}/token")).json()["token"]
            done = await api.post(
                "/forge-install/install",
                data={"integrationId": isv.integration_id, **BIGCOMMERCE_FORM},
                headers={"x-alloy-user-token": token},
            )
            assert done.status_code == 200, done.text
        [first] = receiver.wait_for(1, answered=False)
        service.kill()
        [delivery] = await rows(
            settings.database_url, "SELECT status, attempt_count FROM webhook_delivery"
        )
        assert (delivery["status"], delivery["attempt_count"]) == ("pending", 0)

        service.start()
        [second] = receiver.wait_for(1, timeout_s=20)  # the first never got its answer back to us
    finally:
        service.stop()
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body and f'"userId":"{user_id}"' in second.body.decode()
    [delivered] = await rows(
        settings.database_url, "SELECT status, attempt_count FROM webhook_delivery"
    )
    assert (delivered["status"], delivered["attempt_count"]) == ("delivered", 1)

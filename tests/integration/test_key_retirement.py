"""``keys retire`` and ``rotate-credential-key --resume``: a key is deleted only when nothing
is sealed with it, and a rotation stopped half-way is finished without a new key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from install_service.db.config import sqlalchemy_config
from install_service.errors import Conflict, NotFound
from install_service.keys.rotation import rotate_credential_key
from install_service.keys.services import (
    activate_data_key,
    key_status,
    load_data_keys,
    retire_data_key,
    stage_data_key,
)
from install_service.security.credential_crypto import CredentialCipher, CredentialDecryptionError
from install_service.security.keys import load_keys
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import rows
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "bc-s3cret-token-rot8"


@pytest.fixture
async def session_maker(settings: Settings) -> AsyncIterator[Any]:
    config = sqlalchemy_config(settings.database_url)
    yield config.create_session_maker()
    await config.get_engine().dispose()


async def status(session_maker: Any, cipher: CredentialCipher) -> dict[str, Any]:
    async with session_maker() as session:
        return {key.kid: key for key in await key_status(session, cipher)}


async def test_retire_refuses_a_key_in_use_and_resume_finishes_the_rotation(
    client, isv: IsvFixture, store, settings: Settings, session_maker: Any
) -> None:
    user_id, _ = await new_user(client, isv)
    body = {"app": "bigcommerce", "data": {"storeHash": "abc123", "accessToken": SECRET}}
    created = await client.post(
        f"/2023-12/users/{user_id}/credentials", json=body, headers=isv.headers
    )
    assert created.status_code == 201, created.text
    cipher = CredentialCipher(load_keys(settings).credential_keys)
    [root] = cipher.root_keys

    first = (await rotate_credential_key(session_maker, cipher, propagation_s=0)).kid
    async with session_maker() as session:  # a second rotation, stopped before re-sealing
        second = await stage_data_key(session, cipher)
    async with session_maker() as session:
        await activate_data_key(session, second)
    async with session_maker() as session:
        await load_data_keys(session, cipher)
    keys = await status(session_maker, cipher)
    assert keys[first].state == "previous" and keys[first].rows["credential"] == 1
    assert keys[second].sealing and keys[second].total == 0

    for kid, refusal, words in (
        (first, Conflict, "1 credential rows are still sealed"),
        (second, Conflict, "is active"),
        (root.kid, NotFound, "INSTALL_SERVICE_CREDENTIAL_KEYS"),
    ):
        async with session_maker() as session:
            with pytest.raises(refusal, match=words):
                await retire_data_key(session, kid)
    assert set(await status(session_maker, cipher)) == {root.kid, first, second}  # unchanged

    result = await rotate_credential_key(session_maker, cipher, propagation_s=0, resume=True)
    assert result.kid == second and result.resealed["credential"] == 1
    async with session_maker() as session:
        await retire_data_key(session, first)
    assert set(await status(session_maker, cipher)) == {root.kid, second}

    [row] = await rows(settings.database_url, "SELECT * FROM credential")
    assert row["key_id"] == second
    credential_id = created.json()["credentialId"]
    aad = {"isv_id": isv.isv_id, "user_id": user_id, "credential_id": credential_id}
    assert cipher.open(row["key_id"], row["ciphertext"], **aad)["accessToken"] == SECRET
    # The associated data still binds the ciphertext to its row.
    with pytest.raises(CredentialDecryptionError):
        cipher.open(row["key_id"], row["ciphertext"], **{**aad, "user_id": "someone-else"})

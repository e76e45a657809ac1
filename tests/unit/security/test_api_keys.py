"""ISV API keys: random, prefixed by environment, stored only as a SHA-256 hex digest
(the digest test runs on a real SQLite and PostgreSQL database)."""

from __future__ import annotations

import hashlib
import re

import pytest

from install_service.db.config import sqlalchemy_config
from install_service.errors import Unauthorized
from install_service.isvs.services import authenticate, create_isv
from install_service.security.api_keys import generate_api_key, hash_api_key
from tests.support.db_rows import rows


def test_keys_are_unique_and_prefixed_with_their_environment() -> None:
    keys = {generate_api_key() for _ in range(200)}

    assert len(keys) == 200
    for key in keys:
        assert re.fullmatch(r"isk_dev_[A-Za-z0-9_-]{43}", key), key


def test_the_environment_goes_into_the_prefix() -> None:
    assert generate_api_key("prod").startswith("isk_prod_")


def test_the_hash_is_stable_hex_sha256() -> None:
    key = generate_api_key()

    digest = hash_api_key(key)

    assert digest == hash_api_key(key)
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


async def test_only_the_digest_is_stored_and_only_the_exact_key_finds_the_isv(
    database_url: str,
) -> None:
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session:
            created = await create_isv(session, name="AcmeCo", allowed_origins=[])
            await session.commit()
            key = created.api_key

            for given, environment in (
                (key, "development"),
                (created.production_api_key, "production"),
            ):
                found = await authenticate(session, given)
                assert (found.isv.id, found.environment) == (created.isv.id, environment)
            for wrong in (
                key[:-1] + ("A" if key[-1] != "A" else "B"),
                key.upper(),
                hash_api_key(key),
            ):
                with pytest.raises(Unauthorized):
                    await authenticate(session, wrong)
    finally:
        await config.get_engine().dispose()

    stored = await rows(database_url, "SELECT * FROM api_key")
    assert hash_api_key(key) in {row["key_hash"] for row in stored}
    everything = " ".join(
        str(value)
        for row in stored + await rows(database_url, "SELECT * FROM isv")
        for value in row.values()
    )
    assert key not in everything and key.removeprefix("isk_dev_") not in everything

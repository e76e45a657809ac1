"""ISV API keys: random, prefixed by environment, stored only as a SHA-256 hex digest."""

from __future__ import annotations

import hashlib
import re

from install_service.security.api_keys import generate_api_key, hash_api_key


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


def test_different_keys_hash_differently() -> None:
    assert hash_api_key(generate_api_key()) != hash_api_key(generate_api_key())


def test_the_hash_does_not_reveal_the_key() -> None:
    key = generate_api_key()
    digest = hash_api_key(key)

    assert key not in digest
    assert key.removeprefix("isk_dev_") not in digest
    assert key[8:20] not in digest

"""Stored credentials: AES-GCM bound to their row, sealed by the newest key, opened by any."""

from __future__ import annotations

import os

import pytest

from install_service.security.credential_crypto import CredentialCipher, CredentialDecryptionError
from install_service.security.keys import CredentialKey

SECRETS = {"storeHash": "abc123", "accessToken": "bc-token-very-secret"}
ROW = {"isv_id": "isv-1", "user_id": "user-1", "credential_id": "cred-1"}


def _key(kid: str) -> CredentialKey:
    return CredentialKey(kid=kid, secret=os.urandom(32))


OLD, NEW = _key("old"), _key("new")


def test_what_is_sealed_opens_to_the_same_secrets() -> None:
    cipher = CredentialCipher((OLD,))

    kid, blob = cipher.seal(SECRETS, **ROW)

    assert kid == "old"
    assert cipher.open(kid, blob, **ROW) == SECRETS


def test_the_ciphertext_does_not_contain_the_secrets() -> None:
    _, blob = CredentialCipher((OLD,)).seal(SECRETS, **ROW)

    for value in SECRETS.values():
        assert value.encode() not in blob
    assert b"accessToken" not in blob


def test_sealing_twice_gives_different_ciphertexts() -> None:
    cipher = CredentialCipher((OLD,))

    assert cipher.seal(SECRETS, **ROW)[1] != cipher.seal(SECRETS, **ROW)[1]


@pytest.mark.parametrize("field", ["isv_id", "user_id", "credential_id"])
def test_a_ciphertext_moved_to_another_row_does_not_open(field: str) -> None:
    cipher = CredentialCipher((OLD,))
    kid, blob = cipher.seal(SECRETS, **ROW)

    with pytest.raises(CredentialDecryptionError):
        cipher.open(kid, blob, **{**ROW, field: "someone-else"})


def test_after_rotation_old_ciphertexts_open_and_new_ones_use_the_new_key() -> None:
    kid, blob = CredentialCipher((OLD,)).seal(SECRETS, **ROW)
    rotated = CredentialCipher((NEW, OLD))

    assert rotated.open(kid, blob, **ROW) == SECRETS
    new_kid, new_blob = rotated.seal(SECRETS, **ROW)
    assert new_kid == "new"
    assert CredentialCipher((NEW,)).open(new_kid, new_blob, **ROW) == SECRETS


def test_a_retired_key_can_no_longer_open_its_ciphertexts() -> None:
    kid, blob = CredentialCipher((OLD,)).seal(SECRETS, **ROW)

    with pytest.raises(CredentialDecryptionError, match="old"):
        CredentialCipher((NEW,)).open(kid, blob, **ROW)


def test_a_ciphertext_under_a_wrong_kid_label_does_not_open() -> None:
    _, blob = CredentialCipher((OLD,)).seal(SECRETS, **ROW)

    with pytest.raises(CredentialDecryptionError):
        CredentialCipher((NEW, OLD)).open("new", blob, **ROW)


@pytest.mark.parametrize("position", [0, 12, -1], ids=["nonce", "ciphertext", "tag"])
def test_a_flipped_byte_is_detected(position: int) -> None:
    cipher = CredentialCipher((OLD,))
    kid, blob = cipher.seal(SECRETS, **ROW)
    damaged = bytearray(blob)
    damaged[position] ^= 0x01

    with pytest.raises(CredentialDecryptionError):
        cipher.open(kid, bytes(damaged), **ROW)


def test_a_truncated_blob_is_detected() -> None:
    cipher = CredentialCipher((OLD,))
    kid, blob = cipher.seal(SECRETS, **ROW)

    with pytest.raises(CredentialDecryptionError):
        cipher.open(kid, blob[:20], **ROW)


def test_a_cipher_needs_at_least_one_key() -> None:
    with pytest.raises(ValueError):
        CredentialCipher(())

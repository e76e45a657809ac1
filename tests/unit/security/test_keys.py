"""The key ring: generated once under var/keys and reused, or taken from settings."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from install_service.security.keys import load_keys
from install_service.settings import Settings, SettingsError

KEY_FILES = ("jwt-ed25519.pem", "webhook-rsa.pem", "credential-key.b64")


def _pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _raw_public(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_first_start_writes_owner_only_key_files(tmp_path: Path) -> None:
    load_keys(Settings(var_dir=tmp_path))

    key_dir = tmp_path / "keys"
    assert set(KEY_FILES) <= {p.name for p in key_dir.iterdir()}
    for path in key_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_restart_reuses_the_generated_keys(tmp_path: Path) -> None:
    first = load_keys(Settings(var_dir=tmp_path))
    second = load_keys(Settings(var_dir=tmp_path))

    assert second.jwt_kid == first.jwt_kid
    assert _raw_public(second.jwt_private_key) == _raw_public(first.jwt_private_key)
    assert second.webhook_public_key_pem == first.webhook_public_key_pem
    assert second.credential_keys == first.credential_keys
    assert len(first.credential_keys[0].secret) == 32


def test_two_var_dirs_get_different_keys(tmp_path: Path) -> None:
    one = load_keys(Settings(var_dir=tmp_path / "one"))
    two = load_keys(Settings(var_dir=tmp_path / "two"))

    assert one.jwt_kid != two.jwt_kid
    assert one.webhook_public_key_pem != two.webhook_public_key_pem
    assert one.credential_keys[0].secret != two.credential_keys[0].secret


def test_configured_keys_are_used_and_nothing_is_generated(tmp_path: Path, rsa_pem: str) -> None:
    jwt_key = ed25519.Ed25519PrivateKey.generate()
    webhook_key = serialization.load_pem_private_key(rsa_pem.encode(), password=None)
    new, old = os.urandom(32), os.urandom(32)

    ring = load_keys(
        Settings(
            var_dir=tmp_path,
            jwt_private_key_pem=_pem(jwt_key),
            webhook_private_key_pem=rsa_pem,
            credential_keys=(base64.b64encode(new).decode(), base64.b64encode(old).decode()),
        )
    )

    assert _raw_public(ring.jwt_private_key) == _raw_public(jwt_key)
    assert ring.webhook_public_key_pem == webhook_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert [k.secret for k in ring.credential_keys] == [new, old]  # newest first, as given
    assert ring.credential_keys[0].kid != ring.credential_keys[1].kid
    assert not any((tmp_path / "keys" / name).exists() for name in KEY_FILES)


def test_the_jwt_kid_follows_the_key(tmp_path: Path, rsa_pem: str) -> None:
    key = _pem(ed25519.Ed25519PrivateKey.generate())

    same_a = load_keys(
        Settings(var_dir=tmp_path, jwt_private_key_pem=key, webhook_private_key_pem=rsa_pem)
    )
    same_b = load_keys(
        Settings(var_dir=tmp_path, jwt_private_key_pem=key, webhook_private_key_pem=rsa_pem)
    )
    other = load_keys(
        Settings(
            var_dir=tmp_path,
            jwt_private_key_pem=_pem(ed25519.Ed25519PrivateKey.generate()),
            webhook_private_key_pem=rsa_pem,
        )
    )

    assert same_a.jwt_kid == same_b.jwt_kid
    assert other.jwt_kid != same_a.jwt_kid


def test_an_rsa_key_for_jwts_is_refused(tmp_path: Path, rsa_pem: str) -> None:
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_JWT_PRIVATE_KEY"):
        load_keys(Settings(var_dir=tmp_path, jwt_private_key_pem=rsa_pem))


def test_an_ed25519_key_for_webhooks_is_refused(tmp_path: Path) -> None:
    ed_pem = _pem(ed25519.Ed25519PrivateKey.generate())

    with pytest.raises(SettingsError, match="INSTALL_SERVICE_WEBHOOK_PRIVATE_KEY"):
        load_keys(
            Settings(var_dir=tmp_path, jwt_private_key_pem=ed_pem, webhook_private_key_pem=ed_pem)
        )


@pytest.mark.parametrize(
    "credential_key",
    [
        base64.b64encode(os.urandom(16)).decode(),
        base64.b64encode(os.urandom(33)).decode(),
        "not base64!",
    ],
    ids=["16 bytes", "33 bytes", "not base64"],
)
def test_a_credential_key_that_is_not_32_bytes_of_base64_is_refused(
    tmp_path: Path, rsa_pem: str, credential_key: str
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        webhook_private_key_pem=rsa_pem,
        credential_keys=(base64.b64encode(os.urandom(32)).decode(), credential_key),
    )

    with pytest.raises(SettingsError, match="INSTALL_SERVICE_CREDENTIAL_KEYS"):
        load_keys(settings)


def test_a_new_data_key_has_a_kid_a_command_line_takes_as_an_argument() -> None:
    from install_service.security.keys import new_credential_key

    kids = {new_credential_key().kid for _ in range(200)}

    assert len(kids) == 200
    assert all(kid.startswith("dk_") and len(kid) <= 32 for kid in kids)  # never "-..."

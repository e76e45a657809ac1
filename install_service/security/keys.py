"""Key material: loaded from settings, or generated under ``var/keys`` for development.

Three kinds of keys, each with its own job:

- an Ed25519 key that signs user JWTs (EdDSA, RFC 8037), published as a JWKS;
- an RSA-2048 key that signs ``X-Alloy-Signature`` on webhooks (PKCS#1 v1.5, SHA-256),
  published as PEM;
- AES-256-GCM keys that encrypt stored credentials, newest first (the first encrypts,
  all decrypt, so keys can be rotated);
- secrets that sign install-link tokens (itsdangerous), newest first, rotated the same way.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from install_service.settings import Settings, SettingsError

# The development keys ``load_keys`` generates under ``var_dir/keys`` (file name per key);
# ``backups`` copies the ones that exist.
KEY_DIR = "keys"
JWT_KEY_FILE = "jwt-ed25519.pem"
WEBHOOK_KEY_FILE = "webhook-rsa.pem"
CREDENTIAL_KEY_FILE = "credential-key.b64"
LINK_KEY_FILE = "link-key.txt"
KEY_FILES = (JWT_KEY_FILE, WEBHOOK_KEY_FILE, CREDENTIAL_KEY_FILE, LINK_KEY_FILE)


@dataclass(frozen=True, slots=True)
class CredentialKey:
    kid: str  # short fingerprint stored beside each ciphertext
    secret: bytes  # 32 bytes


@dataclass(frozen=True, slots=True)
class KeyRing:
    jwt_private_key: ed25519.Ed25519PrivateKey
    jwt_kid: str
    webhook_private_key: rsa.RSAPrivateKey
    credential_keys: tuple[CredentialKey, ...]  # newest first
    link_keys: tuple[bytes, ...]  # newest first: the first signs install links, all verify

    @property
    def webhook_public_key_pem(self) -> bytes:
        return self.webhook_private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _fingerprint(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:12]).decode().rstrip("=")


def _read_or_create(path: Path, create: callable) -> bytes:  # type: ignore[valid-type]
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: bytes = create()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    return data


def _pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


DATA_KEY_PREFIX = "dk_"


def new_credential_key() -> CredentialKey:
    """A fresh random AES-256 key (a data key of a rotation), kid ``dk_`` + its fingerprint:
    a kid typed on a command line (``keys retire KID``) must never start with "-"."""
    secret = os.urandom(32)
    return CredentialKey(kid=DATA_KEY_PREFIX + _fingerprint(secret), secret=secret)


def decode_credential_key(raw: str) -> CredentialKey:
    """A base64 32-byte key as set in ``INSTALL_SERVICE_CREDENTIAL_KEYS``.

    Raises:
        SettingsError: not base64, or not 32 bytes (the message holds no key material).
    """
    try:
        secret = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SettingsError("INSTALL_SERVICE_CREDENTIAL_KEYS must be base64") from exc
    if len(secret) != 32:
        raise SettingsError("each INSTALL_SERVICE_CREDENTIAL_KEYS entry must be 32 bytes")
    return CredentialKey(kid=_fingerprint(secret), secret=secret)


def load_keys(settings: Settings) -> KeyRing:
    """Build the key ring from settings, generating missing keys under ``var_dir/keys``.

    Raises:
        SettingsError: a configured key cannot be parsed.
    """
    key_dir = settings.var_dir / KEY_DIR
    jwt_pem = settings.jwt_private_key_pem.encode() or _read_or_create(
        key_dir / JWT_KEY_FILE, lambda: _pem(ed25519.Ed25519PrivateKey.generate())
    )
    webhook_pem = settings.webhook_private_key_pem.encode() or _read_or_create(
        key_dir / WEBHOOK_KEY_FILE,
        lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    )
    raw_credential_keys = settings.credential_keys or (
        _read_or_create(
            key_dir / CREDENTIAL_KEY_FILE, lambda: base64.b64encode(os.urandom(32))
        ).decode(),
    )
    link_keys = settings.link_keys or (
        _read_or_create(
            key_dir / LINK_KEY_FILE, lambda: secrets.token_urlsafe(32).encode()
        ).decode(),
    )
    jwt_key = serialization.load_pem_private_key(jwt_pem, password=None)
    webhook_key = serialization.load_pem_private_key(webhook_pem, password=None)
    if not isinstance(jwt_key, ed25519.Ed25519PrivateKey):
        raise SettingsError("INSTALL_SERVICE_JWT_PRIVATE_KEY must be an Ed25519 key")
    if not isinstance(webhook_key, rsa.RSAPrivateKey):
        raise SettingsError("INSTALL_SERVICE_WEBHOOK_PRIVATE_KEY must be an RSA key")
    public_raw = jwt_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return KeyRing(
        jwt_private_key=jwt_key,
        jwt_kid=_fingerprint(public_raw),
        webhook_private_key=webhook_key,
        credential_keys=tuple(decode_credential_key(k) for k in raw_credential_keys),
        link_keys=tuple(k.encode() for k in link_keys),
    )

"""Encryption of stored credential secrets: AES-256-GCM (``cryptography``'s AESGCM).

The associated data binds each ciphertext to its ISV, end user and credential id, so a
ciphertext copied onto another row does not decrypt. Each ciphertext records the ``kid``
of the key that sealed it; the newest key seals, every listed key opens (rotation).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from install_service.security.keys import CredentialKey

NONCE_BYTES = 12


class CredentialDecryptionError(Exception):
    """The ciphertext was sealed by an unknown key, altered, or moved to another row."""


def _aad(isv_id: str, user_id: str, credential_id: str) -> bytes:
    return f"install-service:credential:{isv_id}:{user_id}:{credential_id}".encode()


class CredentialCipher:
    def __init__(self, keys: tuple[CredentialKey, ...]) -> None:
        if not keys:
            raise ValueError("at least one credential key is required")
        self._keys = keys
        self._by_kid = {key.kid: key for key in keys}

    def seal(
        self, secrets: Mapping[str, str], *, isv_id: str, user_id: str, credential_id: str
    ) -> tuple[str, bytes]:
        """Encrypt ``secrets`` ({field name: value}); returns (kid, nonce + ciphertext)."""
        key = self._keys[0]
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(dict(secrets), separators=(",", ":")).encode()
        sealed = AESGCM(key.secret).encrypt(nonce, plaintext, _aad(isv_id, user_id, credential_id))
        return key.kid, nonce + sealed

    def open(
        self, kid: str, blob: bytes, *, isv_id: str, user_id: str, credential_id: str
    ) -> dict[str, str]:
        """Decrypt what :meth:`seal` produced.

        Raises:
            CredentialDecryptionError: unknown ``kid`` (a retired key) or failed authentication.
        """
        key = self._by_kid.get(kid)
        if key is None:
            raise CredentialDecryptionError(f"no credential key with kid {kid!r}")
        try:
            plaintext = AESGCM(key.secret).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(isv_id, user_id, credential_id)
            )
        except InvalidTag as exc:
            raise CredentialDecryptionError("credential ciphertext failed authentication") from exc
        return json.loads(plaintext)

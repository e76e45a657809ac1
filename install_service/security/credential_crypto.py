"""Encryption of stored credential secrets: AES-256-GCM (``cryptography``'s AESGCM).

The associated data binds each ciphertext to its ISV, end user and credential id, so a
ciphertext copied onto another row does not decrypt. Each ciphertext records the ``kid``
of the key that sealed it.

Two layers (envelope encryption): the root keys come from settings
(``INSTALL_SERVICE_CREDENTIAL_KEYS``, newest first); the data keys a rotation adds live in
the database wrapped by the newest root key (``db.models.keys``), and every process holds
them in memory (:meth:`CredentialCipher.install`, see ``keys.refresh``). The active data
key seals, or the newest root key before any rotation; every key held opens.
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


def _wrap_aad(kid: str) -> bytes:
    return f"install-service:data-key:{kid}".encode()


class CredentialCipher:
    """Seals and opens credential secrets; safe to share between tasks and threads (the
    key maps are replaced whole, never changed in place)."""

    def __init__(self, keys: tuple[CredentialKey, ...]) -> None:
        if not keys:
            raise ValueError("at least one credential key is required")
        self.root_keys = keys
        self._by_kid = {key.kid: key for key in keys}
        self._sealing = keys[0]

    @property
    def sealing_kid(self) -> str:
        """The kid new ciphertexts get."""
        return self._sealing.kid

    def holds(self, kid: str) -> bool:
        return kid in self._by_kid

    def install(self, data_keys: tuple[CredentialKey, ...], active: str | None) -> None:
        """Hold ``data_keys`` (all open) beside the root keys; the one whose kid is
        ``active`` seals from now on (``None``: the newest root key)."""
        by_kid = {key.kid: key for key in self.root_keys}
        by_kid.update((key.kid, key) for key in data_keys)
        sealing = by_kid[active] if active else self.root_keys[0]
        self._by_kid, self._sealing = by_kid, sealing

    def wrap(self, key: CredentialKey) -> tuple[str, bytes]:
        """Encrypt a data key under the newest root key: (root kid, nonce + ciphertext)."""
        root = self.root_keys[0]
        nonce = os.urandom(NONCE_BYTES)
        return root.kid, nonce + AESGCM(root.secret).encrypt(nonce, key.secret, _wrap_aad(key.kid))

    def unwrap(self, kid: str, wrapped_by: str, blob: bytes) -> CredentialKey:
        """The data key :meth:`wrap` sealed.

        Raises:
            CredentialDecryptionError: the root key ``wrapped_by`` is not configured, or
                the blob fails authentication.
        """
        root = next((key for key in self.root_keys if key.kid == wrapped_by), None)
        if root is None:
            raise CredentialDecryptionError(
                f"data key {kid!r} is wrapped by root key {wrapped_by!r}, which is not configured"
            )
        try:
            secret = AESGCM(root.secret).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _wrap_aad(kid)
            )
        except InvalidTag as exc:
            raise CredentialDecryptionError(f"data key {kid!r} failed authentication") from exc
        return CredentialKey(kid=kid, secret=secret)

    def seal(
        self, secrets: Mapping[str, str], *, isv_id: str, user_id: str, credential_id: str
    ) -> tuple[str, bytes]:
        """Encrypt ``secrets`` ({field name: value}); returns (kid, nonce + ciphertext)."""
        key = self._sealing
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

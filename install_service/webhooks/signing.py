"""Webhook signatures, both schemes the spec requires.

- ``X-Alloy-Signature``: hex RSA PKCS#1 v1.5 / SHA-256 signature over
  ``METHOD + URL + raw body`` (Alloy API reference, "Webhook signature"); the public key
  is served at ``/security/public-key.pem``.
- Standard Webhooks v1 (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``):
  ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with each ``whsec_`` secret,
  space-separated when two secrets sign during a rotation. Computed by the
  ``standardwebhooks`` reference library.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from standardwebhooks.webhooks import Webhook


def alloy_signature(private_key: rsa.RSAPrivateKey, method: str, url: str, body: bytes) -> str:
    """Hex signature of ``method.upper() + url + body``."""
    message = method.upper().encode() + url.encode() + body
    return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


def standard_webhook_headers(
    message_id: str, timestamp: datetime, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers, one ``v1,`` signature per secret.

    ``body`` must be UTF-8 JSON (ours always is); it is signed exactly as sent.
    """
    text = body.decode("utf-8")
    # The library signs ``timestamp.replace(tzinfo=UTC)``: hand it UTC so the signed time
    # is the one in ``webhook-timestamp`` whatever zone the caller used.
    timestamp = timestamp.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, text) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }

"""Verifying webhooks as an ISV would: the standardwebhooks library and cryptography."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from standardwebhooks.webhooks import Webhook

from tests.support.receiver import ReceivedRequest


def verify_both(request: ReceivedRequest, url: str, secret: str, public_key_pem: bytes) -> None:
    """Raises if either signature is wrong."""
    Webhook(secret).verify(request.body, request.headers)
    key = serialization.load_pem_public_key(public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        bytes.fromhex(request.headers["x-alloy-signature"]),
        b"POST" + url.encode() + request.body,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )

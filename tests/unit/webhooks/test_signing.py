"""Both webhook signatures, checked the way receivers check them."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from install_service.webhooks.signing import alloy_signature, standard_webhook_headers

URL = "https://acme.example.com/hooks/alloy"
BODY = b'{"event":"credential.created","userId":"user-1"}'


@pytest.fixture(scope="module")
def private_key(rsa_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(rsa_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def _verify_alloy(key: rsa.RSAPrivateKey, signature: str, message: bytes) -> None:
    key.public_key().verify(bytes.fromhex(signature), message, padding.PKCS1v15(), hashes.SHA256())


def test_alloy_signature_verifies_over_method_url_and_body(private_key: rsa.RSAPrivateKey) -> None:
    signature = alloy_signature(private_key, "POST", URL, BODY)

    _verify_alloy(private_key, signature, b"POST" + URL.encode() + BODY)


def test_alloy_signature_uppercases_the_method(private_key: rsa.RSAPrivateKey) -> None:
    signature = alloy_signature(private_key, "post", URL, BODY)

    _verify_alloy(private_key, signature, b"POST" + URL.encode() + BODY)


@pytest.mark.parametrize(
    "message",
    [
        b"POST" + URL.encode() + BODY.replace(b"user-1", b"user-2"),
        b"POST" + b"https://evil.example/hooks/alloy" + BODY,
        b"PUT" + URL.encode() + BODY,
    ],
    ids=["changed body", "changed url", "changed method"],
)
def test_alloy_signature_fails_for_anything_else(
    private_key: rsa.RSAPrivateKey, message: bytes
) -> None:
    signature = alloy_signature(private_key, "POST", URL, BODY)

    with pytest.raises(InvalidSignature):
        _verify_alloy(private_key, signature, message)


def test_alloy_signature_fails_under_another_key(private_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = alloy_signature(other, "POST", URL, BODY)

    with pytest.raises(InvalidSignature):
        _verify_alloy(private_key, signature, b"POST" + URL.encode() + BODY)


def test_standard_webhook_headers_verify_with_the_reference_library() -> None:
    secret, now = _secret(), datetime.now(UTC)

    headers = standard_webhook_headers("msg_1", now, BODY, [secret])

    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers) == {
        "event": "credential.created",
        "userId": "user-1",
    }


def test_a_timestamp_in_another_zone_still_verifies() -> None:
    secret = _secret()
    paris = datetime.now(UTC).astimezone(timezone(timedelta(hours=2)))

    headers = standard_webhook_headers("msg_1", paris, BODY, [secret])

    assert headers["webhook-timestamp"] == str(int(paris.timestamp()))
    Webhook(secret).verify(BODY, headers)


@pytest.mark.parametrize(
    ("field", "value"),
    [("body", BODY.replace(b"user-1", b"user-2")), ("webhook-id", "msg_2"), ("secret", None)],
)
def test_standard_webhook_signature_fails_for_anything_else(field: str, value: object) -> None:
    secret = _secret()
    headers = standard_webhook_headers("msg_1", datetime.now(UTC), BODY, [secret])
    body = value if field == "body" else BODY
    if field == "webhook-id":
        headers["webhook-id"] = value
    verifier = Webhook(_secret() if field == "secret" else secret)

    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, headers)


def test_during_rotation_both_secrets_sign_and_each_alone_verifies() -> None:
    new, old = _secret(), _secret()

    headers = standard_webhook_headers("msg_1", datetime.now(UTC), BODY, [new, old])

    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2
    assert all(entry.startswith("v1,") for entry in entries)
    assert entries[0] != entries[1]
    Webhook(new).verify(BODY, headers)
    Webhook(old).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(_secret()).verify(BODY, headers)

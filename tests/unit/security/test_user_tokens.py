"""User JWTs: an hour long, EdDSA under a kid, every claim checked, nothing else accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from install_service.security.keys import KeyRing, load_keys
from install_service.security.user_tokens import InvalidUserToken, UserTokens
from install_service.settings import Settings

ISSUER = "https://install.acme.example"
AUDIENCE = "install-service:user"
ALL_CLAIMS = ("sub", "isv", "iss", "aud", "iat", "exp", "jti")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory, rsa_pem: str) -> KeyRing:
    return load_keys(
        Settings(var_dir=tmp_path_factory.mktemp("var"), webhook_private_key_pem=rsa_pem)
    )


@pytest.fixture
def tokens(keys: KeyRing) -> UserTokens:
    return UserTokens(keys, issuer=ISSUER)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _claims(**overrides: object) -> dict[str, object]:
    now = _now()
    claims: dict[str, object] = {
        "sub": "user-1",
        "isv": "isv-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return claims


def _sign(keys: KeyRing, claims: dict[str, object], kid: str | None = None) -> str:
    return jwt.encode(
        claims, keys.jwt_private_key, algorithm="EdDSA", headers={"kid": kid or keys.jwt_kid}
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(obj: dict[str, object]) -> str:
    return _b64(json.dumps(obj, default=lambda d: int(d.timestamp())).encode())


def _reason(tokens: UserTokens, token: str | None) -> str:
    with pytest.raises(InvalidUserToken) as caught:
        tokens.verify(token)
    return caught.value.reason


def test_a_minted_token_verifies_back_to_its_user_and_isv(tokens: UserTokens) -> None:
    now = _now()

    claims = tokens.verify(tokens.mint(user_id="user-1", isv_id="isv-1", now=now))

    assert (claims.user_id, claims.isv_id) == ("user-1", "isv-1")
    assert claims.expires_at == now + timedelta(hours=1)


def test_a_token_lives_exactly_3600_seconds(tokens: UserTokens, keys: KeyRing) -> None:
    token = tokens.mint(user_id="user-1", isv_id="isv-1", now=_now())

    payload = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    assert payload["exp"] - payload["iat"] == 3600
    assert set(payload) == set(ALL_CLAIMS)
    assert (header["alg"], header["kid"]) == ("EdDSA", keys.jwt_kid)


def test_each_token_has_its_own_jti(tokens: UserTokens) -> None:
    now = _now()
    a = jwt.decode(
        tokens.mint(user_id="u", isv_id="i", now=now), options={"verify_signature": False}
    )
    b = jwt.decode(
        tokens.mint(user_id="u", isv_id="i", now=now), options={"verify_signature": False}
    )

    assert a["jti"] != b["jti"]


@pytest.mark.parametrize("claim", ALL_CLAIMS)
def test_a_token_missing_any_claim_is_refused(
    tokens: UserTokens, keys: KeyRing, claim: str
) -> None:
    claims = _claims()
    del claims[claim]

    assert _reason(tokens, _sign(keys, claims)) == "invalid"


def test_a_token_minted_two_hours_ago_has_expired(tokens: UserTokens) -> None:
    token = tokens.mint(
        user_id="user-1", isv_id="isv-1", now=datetime.now(UTC) - timedelta(hours=2)
    )

    assert _reason(tokens, token) == "expired"


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_reported_as_missing(tokens: UserTokens, token: str | None) -> None:
    assert _reason(tokens, token) == "missing"


def test_garbage_is_invalid(tokens: UserTokens) -> None:
    assert _reason(tokens, "not.a.jwt") == "invalid"


def test_a_tampered_payload_is_refused(tokens: UserTokens) -> None:
    header, _, signature = tokens.mint(user_id="user-1", isv_id="isv-1").split(".")
    forged = _segment(_claims(sub="admin"))

    assert _reason(tokens, f"{header}.{forged}.{signature}") == "invalid"


def test_an_unsigned_alg_none_token_is_refused(tokens: UserTokens, keys: KeyRing) -> None:
    header = _segment({"alg": "none", "typ": "JWT", "kid": keys.jwt_kid})
    token = f"{header}.{_segment(_claims())}."

    assert _reason(tokens, token) == "invalid"


@pytest.mark.parametrize("encoding", ["pem", "raw"])
def test_hs256_signed_with_the_public_key_is_refused(
    tokens: UserTokens, keys: KeyRing, encoding: str
) -> None:
    # Algorithm confusion: the public key (published in the JWKS) used as an HMAC secret.
    public = keys.jwt_private_key.public_key()
    secret = (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if encoding == "pem"
        else public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    signing_input = (
        f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': keys.jwt_kid})}.{_segment(_claims())}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()

    assert _reason(tokens, f"{signing_input}.{_b64(mac)}") == "invalid"


def test_a_token_from_another_issuer_is_refused(tokens: UserTokens, keys: KeyRing) -> None:
    elsewhere = UserTokens(keys, issuer="https://other.example")

    assert _reason(tokens, elsewhere.mint(user_id="user-1", isv_id="isv-1")) == "invalid"


def test_a_token_for_another_audience_is_refused(tokens: UserTokens, keys: KeyRing) -> None:
    assert _reason(tokens, _sign(keys, _claims(aud="someone-else"))) == "invalid"


def test_an_unknown_kid_is_refused(tokens: UserTokens, keys: KeyRing) -> None:
    assert _reason(tokens, _sign(keys, _claims(), kid="retired-key")) == "unknown signing key"


def test_another_key_under_our_kid_is_refused(tokens: UserTokens, keys: KeyRing) -> None:
    impostor = ed25519.Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(), impostor, algorithm="EdDSA", headers={"kid": keys.jwt_kid})

    assert _reason(tokens, token) == "invalid"


def test_the_jwks_publishes_the_key_that_verifies_our_tokens(
    tokens: UserTokens, keys: KeyRing
) -> None:
    token = tokens.mint(user_id="user-1", isv_id="isv-1")

    jwks = tokens.jwks()
    published = jwt.PyJWKSet.from_dict(jwks)[keys.jwt_kid]
    claims = jwt.decode(token, published, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)

    assert claims["sub"] == "user-1"
    assert [k["kid"] for k in jwks["keys"]] == [keys.jwt_kid]
    assert "d" not in jwks["keys"][0]  # the private part never leaves


def test_the_jwks_key_does_not_verify_a_foreign_token(
    tokens: UserTokens, tmp_path: Path, rsa_pem: str
) -> None:
    other = UserTokens(
        load_keys(Settings(var_dir=tmp_path, webhook_private_key_pem=rsa_pem)), issuer=ISSUER
    )
    token = other.mint(user_id="user-1", isv_id="isv-1")
    (published,) = jwt.PyJWKSet.from_dict(tokens.jwks()).keys

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, published, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER)

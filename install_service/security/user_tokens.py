"""User JWTs: the hour-long tokens the ISV mints for its frontend.

Claims: ``sub`` (userId), ``isv`` (isvId), ``iss`` (the service's public URL), ``aud``
(``install-service:user``), ``iat``, ``exp``, ``jti``. Signed with EdDSA (Ed25519,
RFC 8037) under a ``kid``; the public key is served at ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from jwt.algorithms import OKPAlgorithm

from install_service.security.keys import KeyRing

ALGORITHM = "EdDSA"
AUDIENCE = "install-service:user"
USER_TOKEN_HEADER = "x-alloy-user-token"  # noqa: S105 (the header that carries a user JWT; spec, "End-user API")
REQUIRED_CLAIMS = ("sub", "isv", "iss", "aud", "iat", "exp", "jti")
# A JWS compact serialisation as ``mint`` writes it (RFC 7515 §7.1, base64url without padding).
# PyJWT's decoder is laxer: it drops '=' padding, whitespace and other stray characters.
TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidUserToken(Exception):
    """The token is missing, expired, tampered, unsigned or not ours; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class UserClaims:
    user_id: str
    isv_id: str
    expires_at: datetime


class UserTokens:
    """Mints and verifies user JWTs with one key ring and issuer."""

    def __init__(self, keys: KeyRing, issuer: str, ttl_s: int = 3600) -> None:
        self._keys = keys
        self._issuer = issuer
        self._ttl = timedelta(seconds=ttl_s)
        self._public_key = keys.jwt_private_key.public_key()

    def mint(self, *, user_id: str, isv_id: str, now: datetime | None = None) -> str:
        """A JWT for ``user_id`` valid for exactly ``ttl_s`` seconds from ``now``."""
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        claims = {
            "sub": user_id,
            "isv": isv_id,
            "iss": self._issuer,
            "aud": AUDIENCE,
            "iat": issued,
            "exp": issued + self._ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims,
            self._keys.jwt_private_key,
            algorithm=ALGORITHM,
            headers={"kid": self._keys.jwt_kid},
        )

    def verify(self, token: str | None) -> UserClaims:
        """Decode and check a token.

        Raises:
            InvalidUserToken: missing, malformed (not ``TOKEN_FORM``), wrong algorithm (``alg: none`` included),
                unknown ``kid``, bad signature, expired, or a required claim absent.
        """
        if not token:
            raise InvalidUserToken("missing")
        if not TOKEN_FORM.fullmatch(token):
            raise InvalidUserToken("invalid")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self._keys.jwt_kid:
                raise InvalidUserToken("unknown signing key")
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidUserToken("expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidUserToken("invalid") from exc
        return UserClaims(
            user_id=str(claims["sub"]),
            isv_id=str(claims["isv"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public signing key as a JSON Web Key Set (RFC 7517)."""
        jwk = json.loads(OKPAlgorithm.to_jwk(self._public_key))
        jwk.update({"kid": self._keys.jwt_kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": [jwk]}

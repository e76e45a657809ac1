"""ISV API keys: random, shown once, stored only as a SHA-256 digest.

A key has 256 bits of entropy, so a plain SHA-256 (not a slow password hash) is the
right tool: nothing to brute-force, and lookups stay one indexed equality. A key carries
no id of its own: its digest is its id (the stored ``key_hash``), and a key has exactly one
spelling (``API_KEY_FORM``), so one key is one digest.
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "isk_"
API_KEY_FORM = re.compile(r"isk_(?:dev|prod)_[A-Za-z0-9_-]{43}")  # what generate_api_key makes
_BEARER = re.compile(r"bearer +(\S+)", re.IGNORECASE)  # RFC 6750 §2.1: "Bearer" 1*SP b64token


class MalformedApiKey(ValueError):
    """An ``Authorization: Bearer`` credential that is not an API key in its one spelling."""


def generate_api_key(environment: str = "dev") -> str:
    """A new key such as ``isk_dev_<43 url-safe chars>``."""
    return f"{PREFIX}{environment}_{secrets.token_urlsafe(32)}"


def hash_api_key(api_key: str) -> str:
    """Hex SHA-256 of the key, the only form we store."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def bearer_api_key(authorization: str | None) -> str | None:
    """The API key of an ``Authorization: Bearer <key>`` header value (scheme in any case),
    or None when the header is absent or of another scheme.

    Raises:
        MalformedApiKey: a Bearer credential not matching ``API_KEY_FORM`` (padding, stray
            characters, anything after the key): refused, never counted as another key.
    """
    scheme, _, _ = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    match = _BEARER.fullmatch(authorization or "")
    if match is None or not API_KEY_FORM.fullmatch(match.group(1)):
        raise MalformedApiKey("not an API key")
    return match.group(1)

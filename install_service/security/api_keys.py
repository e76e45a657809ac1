"""ISV API keys: random, shown once, stored only as a SHA-256 digest.

A key has 256 bits of entropy, so a plain SHA-256 (not a slow password hash) is the
right tool: nothing to brute-force, and lookups stay one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "isk_"


def generate_api_key(environment: str = "dev") -> str:
    """A new key such as ``isk_dev_<43 url-safe chars>``."""
    return f"{PREFIX}{environment}_{secrets.token_urlsafe(32)}"


def hash_api_key(api_key: str) -> str:
    """Hex SHA-256 of the key, the only form we store."""
    return hashlib.sha256(api_key.encode()).hexdigest()

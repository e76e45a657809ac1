"""Password hashing for staff accounts: argon2id through ``pwdlib`` (argon2-cffi underneath),
with its recommended parameters (RFC 9106 §4, second recommended option: t=3, m=64 MiB, p=4).

Hashing takes about 0.1-0.2 s of CPU on purpose, so every call runs in a worker thread and
never stalls the event loop.
"""

from __future__ import annotations

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from install_service.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # longer inputs are refused before hashing (no CPU exhaustion)

_HASHER = PasswordHash((Argon2Hasher(),))
# What an unknown email is checked against, so it costs what a known one does: the hash of
# a random password nobody kept (not a secret), with the parameters above.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$9ZRBE1X/ZkZhApLa8ZknvA$9b9+CHuregeOk+WM25MNCfjjeTj4v5yg5b253RpGQWo"


def check_password_rules(password: str) -> None:
    """Refuse a password the service would not store.

    Raises:
        InvalidInput: fewer than 12 characters, or more than 1024 (422).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long "
            f"(it has {len(password)})"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long")


async def hash_password(password: str) -> str:
    """The argon2id PHC string (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>``) of
    ``password``, with a fresh random salt."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``password_hash``, and a new hash to store when the
    stored one used weaker parameters (else None). With no hash (an unknown email), a dummy
    hash is checked instead, so the answer takes as long as for a known email."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False, None
    if password_hash is None:
        await asyncio.to_thread(_HASHER.verify, password, DUMMY_HASH)
        return False, None
    return await asyncio.to_thread(_HASHER.verify_and_update, password, password_hash)

"""``install-service keys rotate-credential-key``: a new data key, then every sealed row
re-sealed with it, in batches, while the service keeps serving.

The order keeps every ciphertext openable by every process at every moment:

1. the new key is stored ``staged``; each process loads it within its refresh interval
   (``keys.refresh``) and can open what it seals before anything is sealed with it;
2. after ``propagation_s`` it becomes ``active`` (the old one ``previous``, still opening);
   after ``propagation_s`` more, every process seals new credentials with it;
3. rows under any other key are re-sealed, ``batch_size`` per transaction, by id.

``propagation_s`` must exceed the longest refresh interval of any process (the default:
twice ``INSTALL_SERVICE_KEY_REFRESH`` plus one second). A rotation stopped in 1–2 goes on
with the same staged key when run again; ``resume`` skips 1–2 and only finishes the
re-sealing (to the active key) of a rotation stopped in 3.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.keys.services import (
    SEALED_COLUMNS,
    activate_data_key,
    load_data_keys,
    reseal_batch,
    stage_data_key,
)
from install_service.security.credential_crypto import CredentialCipher


@dataclass(frozen=True, slots=True)
class RotationResult:
    kid: str  # the key that seals now
    resealed: dict[str, int]  # {table: rows re-sealed}


async def rotate_credential_key(
    session_maker: async_sessionmaker[AsyncSession],
    cipher: CredentialCipher,
    *,
    propagation_s: float,
    batch_size: int = 500,
    resume: bool = False,
    report: Callable[[str], None] = lambda _line: None,
) -> RotationResult:
    """Rotate (or with ``resume``, finish rotating) the credential key; ``report`` gets one
    line per step. Re-sealing passes repeat until one finds nothing left.

    Raises:
        CredentialDecryptionError: a row is sealed by a key no longer held.
    """

    async def reload() -> None:
        async with session_maker() as session:
            await load_data_keys(session, cipher)

    await reload()
    staged = None
    if not resume:
        async with session_maker() as session:
            staged = await stage_data_key(session, cipher)
    if staged is not None:
        report(
            f"staged data key {staged}; waiting {propagation_s:g} s for every process to load it"
        )
        await asyncio.sleep(propagation_s)
        async with session_maker() as session:
            await activate_data_key(session, staged)
        await reload()
        report(f"data key {staged} now seals; waiting {propagation_s:g} s for every process")
        await asyncio.sleep(propagation_s)
    resealed = {sealed.table: 0 for sealed in SEALED_COLUMNS}
    while True:
        found = 0
        for sealed in SEALED_COLUMNS:
            after = None
            while True:
                async with session_maker() as session:
                    changed, after = await reseal_batch(
                        session, cipher, sealed, after=after, limit=batch_size
                    )
                found += changed
                resealed[sealed.table] += changed
                if changed:
                    report(f"re-sealed {resealed[sealed.table]} {sealed.table} rows")
                if after is None:
                    break
        if not found:
            break
    return RotationResult(kid=cipher.sealing_kid, resealed=resealed)

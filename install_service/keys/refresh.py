"""Every process holds the stored data keys: loaded at start, then every
``INSTALL_SERVICE_KEY_REFRESH`` seconds, so a rotation run by another process (the
``keys`` commands) reaches this one within that time (``keys.rotation`` waits for it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from install_service.keys.services import load_data_keys
from install_service.security.credential_crypto import CredentialCipher

logger = logging.getLogger(__name__)


class KeyRefresher:
    """Keeps ``cipher``'s data keys current: :meth:`start` loads them once (and raises if
    it cannot), then a task reloads them every ``interval_s`` seconds until :meth:`stop`.
    A failed reload is logged and the keys held so far stay in use."""

    def __init__(
        self,
        session_maker: async_sessionmaker[AsyncSession],
        cipher: CredentialCipher,
        interval_s: float,
    ) -> None:
        self._session_maker, self._cipher, self._interval_s = session_maker, cipher, interval_s
        self._task: asyncio.Task[None] | None = None

    async def load(self) -> int:
        async with self._session_maker() as session:
            return await load_data_keys(session, self._cipher)

    async def start(self) -> None:
        await self.load()
        self._task = asyncio.create_task(self._run(), name="credential-key-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.load()
            except Exception:  # the database away for a moment: keep the keys held
                logger.exception("reloading the credential data keys failed")

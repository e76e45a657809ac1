"""Failed dashboard sign-ins, counted per email and per client address.

Fixed windows of ``INSTALL_SERVICE_RATE_LIMIT_SIGN_IN`` (``Settings.rate_limit_sign_in``,
default 20 per hour) in the app's ``auth_failures`` store,
the same store and window arithmetic as ``ratelimits.AuthFailures``. Past the limit for
either key, every attempt with that email or from that address is refused (429 page, a
right password included) until the window ends; a success does not reset the count.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request

from install_service.errors import Unauthorized
from install_service.ratelimits import AuthFailures, TooManyFailedAuthentications, client_address


class TooManySignInAttempts(TooManyFailedAuthentications):
    """Too many failed sign-ins for this email or from this address; ``retry_after_s`` left."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(retry_after_s)
        self.retry_after_s = retry_after_s
        minutes = max(1, round(retry_after_s / 60))
        self.detail = f"Too many failed sign-in attempts. Try again in {minutes} min."


class SignInFailures(AuthFailures):
    """``async with failures.counting_sign_in(request, email): <sign in>``."""

    @asynccontextmanager
    async def counting_sign_in(
        self, request: Request[Any, Any, Any], email: str
    ) -> AsyncIterator[None]:
        """Refuse a blocked email or address first; an ``Unauthorized`` raised inside counts
        one failure for each.

        Raises:
            TooManySignInAttempts: the email or the address is over the limit (429).
        """
        store = request.app.stores.get(self._store_name)
        keys = ["sign-in-email:" + email.strip().lower(), "sign-in-ip:" + client_address(request)]
        for key in keys:
            count, reset_at = await self._window(store, key)
            if count >= self._limit:
                raise TooManySignInAttempts(max(1, reset_at - int(time.time())))
        try:
            yield
        except Unauthorized:
            for key in keys:
                await self._count_one(store, key)
            raise

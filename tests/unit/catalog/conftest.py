"""Fixtures for the app-action tests: a real httpx client and the fake store with an order."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.app_calls import STORE_HASH, TOKEN
from tests.support.fake_bigcommerce import FakeBigCommerce


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def store(bigcommerce: FakeBigCommerce) -> FakeBigCommerce:
    """The fake with order 101 (Awaiting Fulfillment) in store ``STORE_HASH``, token ``TOKEN``."""
    bigcommerce.set_token(STORE_HASH, TOKEN)
    bigcommerce.add_order(STORE_HASH, 101, status_id=11, total_inc_tax="42.00")
    return bigcommerce

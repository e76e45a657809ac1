"""For the app-action tests: the credential used, and one call against the fake store."""

from __future__ import annotations

from typing import Any

import httpx

from install_service.catalog.app_actions import call_action
from install_service.catalog.app_definitions import load_apps

STORE_HASH = "abc123"
TOKEN = "tok-Sup3rSecretAccessToken"


async def run(
    http: httpx.AsyncClient,
    api_base: str,
    action: str,
    inputs: dict[str, Any],
    *,
    token: str = TOKEN,
    timeout_s: float = 5.0,
) -> Any:
    """``call_action`` for BigCommerce with the test credential."""
    return await call_action(
        load_apps()["bigcommerce"],
        action,
        inputs,
        {"storeHash": STORE_HASH, "accessToken": token},
        api_base_override=api_base,
        client=http,
        timeout_s=timeout_s,
    )

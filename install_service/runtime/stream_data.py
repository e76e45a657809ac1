"""Stream Data: POST a block's JSON to the ISV's URL, signed like the installation webhook.

Headers (spec "Installation webhook"): ``X-Alloy-Signature`` (RSA PKCS#1 v1.5 / SHA-256 over
METHOD + URL + body) and Standard Webhooks v1 ``webhook-id`` / ``webhook-timestamp`` /
``webhook-signature`` with the ISV's ``whsec_`` secret(s). The URL goes through the same
outbound guard as webhooks (``security.ssrf``): a host resolving to a private address is
refused unless ``WEBHOOK_ALLOW_PRIVATE`` is set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx

from install_service.catalog.app_actions import AppCallError
from install_service.db.models import Isv
from install_service.runtime import engine
from install_service.security.ssrf import UnsafeWebhookUrl, pin
from install_service.webhooks.outbox import encode_payload
from install_service.webhooks.signing import alloy_signature, standard_webhook_headers


async def post_signed(url: str, body: Any, isv_id: str, message_id: str) -> int:
    """POST ``body`` as JSON to ``url``; returns the receiver's 2xx status code.

    ``message_id`` is the ``webhook-id``: the same on every retry of the same block, so the
    receiver can drop duplicates.

    Raises:
        AppCallError: refused URL or 4xx (not transient); connect error, timeout, 429 or 5xx
            (transient, with the receiver's ``Retry-After`` if any).
    """
    ctx = engine.context()
    async with ctx.session_maker() as session:
        isv = await session.get(Isv, UUID(isv_id))
    if isv is None:
        raise AppCallError("The ISV no longer exists", transient=False)
    data = encode_payload(body).encode()
    now = datetime.now(UTC)
    secrets = [isv.webhook_secret]
    if isv.previous_webhook_secret and (isv.previous_webhook_secret_expires_at or now) > now:
        secrets.append(isv.previous_webhook_secret)
    headers = standard_webhook_headers(message_id, now, data, secrets)
    headers["x-alloy-signature"] = alloy_signature(ctx.keys.webhook_private_key, "POST", url, data)
    headers["content-type"] = "application/json"
    try:
        target = await pin(url, allow_private=ctx.settings.webhook_allow_private)
    except UnsafeWebhookUrl as exc:
        raise AppCallError(f"Stream Data URL refused: {exc.message}", transient=False) from None
    headers["host"] = target.host_header
    try:
        response = await ctx.client.post(
            target.connect_url,
            content=data,
            headers=headers,
            timeout=ctx.settings.app_call_timeout_s,
            extensions={"sni_hostname": target.server_name},
        )
    except httpx.TimeoutException:
        raise AppCallError(f"{url} did not answer in time", transient=True) from None
    except httpx.HTTPError as exc:
        raise AppCallError(
            f"{url} could not be reached ({type(exc).__name__})", transient=True
        ) from None
    code = response.status_code
    if code < 300:
        return code
    transient = code == 429 or code >= 500
    retry_after = response.headers.get("retry-after")
    raise AppCallError(
        f"{url} answered {code}",
        transient=transient,
        retry_after_s=float(retry_after) if retry_after and retry_after.isdigit() else None,
        status_code=code,
    )

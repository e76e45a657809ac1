"""Sending custom events and reading executions through the ISV API, as an ISV backend would."""

from __future__ import annotations

from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.conftest import IsvFixture
from tests.support.installs import ACCESS_TOKEN, STORE_HASH, eventually
from tests.support.workflows import BASE, workflows_of

EVENT = "Fulfillment Updated"
FULFILLMENT_WORKFLOW = (
    "When a fulfillment status is updated in AcmeCo, update the order status in BigCommerce"
)


async def fulfillment_workflow_id(client: AsyncTestClient, isv: IsvFixture, user_id: str) -> str:
    """The example catalogue's custom-event workflow (Quick Start's Workflow #2)."""
    workflows = await workflows_of(client, isv, user_id)
    return next(w for w, body in workflows.items() if body["name"] == FULFILLMENT_WORKFLOW)


async def send_event(
    client: AsyncTestClient,
    isv: IsvFixture,
    user_id: str,
    data: Any,
    *,
    event: str = EVENT,
    headers: dict[str, str] | None = None,
    **body: Any,
):
    """``POST /run/event``; returns the raw response."""
    return await client.post(
        f"{BASE}/run/event",
        json={"event": event, "userId": user_id, "data": data, **body},
        headers={**isv.headers, **(headers or {})},
    )


async def logs(
    client: AsyncTestClient, isv: IsvFixture, workflow_id: str, user_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"{BASE}/workflows/{workflow_id}/logs",
        params={"userId": user_id, **params},
        headers=isv.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def finished_execution(
    client: AsyncTestClient,
    isv: IsvFixture,
    workflow_id: str,
    user_id: str,
    execution_id: str,
    timeout_s: float = 20.0,
) -> dict[str, Any]:
    """The execution once it has finished (success, failed or filtered)."""

    async def done() -> dict[str, Any] | None:
        page = await logs(client, isv, workflow_id, user_id, limit=100)
        found = [e for e in page["data"] if e["executionId"] == execution_id]
        return found[0] if found and found[0]["finished"] else None

    return await eventually(done, timeout_s=timeout_s)


async def install_over_http(
    api: httpx.AsyncClient, isv: IsvFixture, username: str = "gregg"
) -> tuple[str, str]:
    """Against a real server (``api`` has the ISV's API key): a new user who installed the
    example integration through the modal's form; (userId, fulfillment workflowId)."""
    user_id = (await api.post(f"{BASE}/users", json={"username": username})).json()["userId"]
    token = (await api.get(f"{BASE}/users/{user_id}/token")).json()["token"]
    done = await api.post(
        "/forge-install/install",
        data={
            "integrationId": isv.integration_id,
            "storeHash": STORE_HASH,
            "accessToken": ACCESS_TOKEN,
        },
        headers={"x-alloy-user-token": token},
    )
    assert done.status_code == 200, done.text
    workflows = (await api.get(f"{BASE}/workflows", params={"userId": user_id})).json()["data"]
    [workflow_id] = [w["workflowId"] for w in workflows if w["name"] == FULFILLMENT_WORKFLOW]
    return user_id, workflow_id


def order_event(order_id: str = "101", status: str = "FULFILLED") -> dict[str, str]:
    return {"orderId": order_id, "status": status}


__all__ = ["EVENT", "STORE_HASH", "finished_execution", "logs", "order_event", "send_event"]

"""Driving the workflows and versions API as an ISV backend would (through HTTP only)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import IsvFixture
from tests.support.installs import finish_install, new_user

BASE = "/2023-12"
REGION = {"name": "region", "label": "Region", "type": "select", "options": ["eu", "us"]}
STREAM = {
    "id": "stream-data",
    "type": "streamData",
    "name": "Stream Data",
    "config": {"url": "https://acme.example.com/v2"},
}
TRIGGER = {
    "id": "bigcommerce-trigger",
    "type": "appTrigger",
    "name": "BigCommerce Trigger",
    "app": "bigcommerce",
    "event": "order created",
}


async def installed_user(client: AsyncTestClient, isv: IsvFixture, username: str = "gregg") -> str:
    """A new end user who installed the example integration through the modal; their userId."""
    user_id, token = await new_user(client, isv, username)
    done = await finish_install(client, isv.integration_id, token)
    assert done.status_code == 200, done.text
    return user_id


async def workflows_of(
    client: AsyncTestClient, isv: IsvFixture, user_id: str
) -> dict[str, dict[str, Any]]:
    """``GET /workflows?userId=``, keyed by workflowId (catalogue order kept)."""
    response = await client.get(
        f"{BASE}/workflows", params={"userId": user_id}, headers=isv.headers
    )
    assert response.status_code == 200, response.text
    return {w["workflowId"]: w for w in response.json()["data"]}


async def first_workflow(client: AsyncTestClient, isv: IsvFixture, user_id: str) -> dict[str, Any]:
    return next(iter((await workflows_of(client, isv, user_id)).values()))


async def versions_of(
    client: AsyncTestClient, isv: IsvFixture, workflow_id: str, user_id: str | None = None
) -> list[dict[str, Any]]:
    params = {"userId": user_id} if user_id else {}
    response = await client.get(
        f"{BASE}/workflows/{workflow_id}/versions", params=params, headers=isv.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def draft(
    client: AsyncTestClient,
    isv: IsvFixture,
    workflow_id: str,
    blocks: list[dict[str, Any]],
    fields: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``POST /workflows/{id}/versions``; returns ``{"versionId", "version"}``."""
    body: dict[str, Any] = {
        "blocks": blocks,
        **({"configurableFields": fields} if fields is not None else {}),
    }
    response = await client.post(
        f"{BASE}/workflows/{workflow_id}/versions", json=body, headers=isv.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def release(
    client: AsyncTestClient, isv: IsvFixture, workflow_id: str, version_id: str
) -> dict[str, Any]:
    response = await client.put(
        f"{BASE}/workflows/{workflow_id}/versions/{version_id}/release", headers=isv.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def publish(
    client: AsyncTestClient,
    isv: IsvFixture,
    workflow_id: str,
    blocks: list[dict[str, Any]],
    fields: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Draft and release a new ISV-wide version; returns ``{"versionId", "version"}``."""
    made = await draft(client, isv, workflow_id, blocks, fields)
    await release(client, isv, workflow_id, made["versionId"])
    return made

"""Workflow versions: list, draft, edit, release over the ISV API, and publishing by catalogue
load. Users keep their installed version until upgraded. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from install_service.catalog.loader import load_catalog_file
from install_service.db.config import sqlalchemy_config
from install_service.settings import Settings
from tests.conftest import EXAMPLE_CATALOG, IsvFixture
from tests.support.installs import new_user
from tests.support.workflows import (
    BASE,
    REGION,
    STREAM,
    TRIGGER,
    draft,
    installed_user,
    release,
    versions_of,
    workflows_of,
)

pytestmark = pytest.mark.usefixtures("backend")


async def a_workflow(client, isv: IsvFixture, username: str = "viewer") -> str:
    user_id, _ = await new_user(client, isv, username)
    return next(iter(await workflows_of(client, isv, user_id)))


async def test_versions_list_the_released_first_version(client, isv: IsvFixture) -> None:
    workflow_id = await a_workflow(client, isv)

    (only,) = await versions_of(client, isv, workflow_id)

    assert (only["version"], only["status"], only["userSpecific"]) == (1, "released", False)
    assert only["releasedAt"].endswith("Z") and only["versionId"]


async def test_a_draft_is_invisible_to_users_until_released(client, isv: IsvFixture) -> None:
    user_id = await installed_user(client, isv)
    workflow_id = next(iter(await workflows_of(client, isv, user_id)))

    made = await draft(client, isv, workflow_id, [TRIGGER], [REGION])
    assert made["version"] == 2
    assert [
        (v["version"], v["status"], v["releasedAt"])
        for v in await versions_of(client, isv, workflow_id)
    ][1] == (2, "draft", None)
    assert (await workflows_of(client, isv, user_id))[workflow_id]["version"] == 1

    released = await release(client, isv, workflow_id, made["versionId"])
    assert (released["version"], released["status"], released["userSpecific"]) == (
        2,
        "released",
        False,
    )
    assert released["releasedAt"].endswith("Z")
    mine = (await workflows_of(client, isv, user_id))[workflow_id]
    assert (mine["version"], mine["installedVersion"]) == (2, 1)  # kept until upgraded


async def test_a_draft_can_be_edited_and_a_released_version_cannot(client, isv: IsvFixture) -> None:
    workflow_id = await a_workflow(client, isv)
    (first,) = await versions_of(client, isv, workflow_id)
    made = await draft(client, isv, workflow_id, [TRIGGER])
    url = f"{BASE}/workflows/{workflow_id}/versions/{made['versionId']}"

    edited = await client.patch(url, json={"configurableFields": [REGION]}, headers=isv.headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["blocks"] == [TRIGGER]
    assert [f["name"] for f in edited.json()["configurableFields"]] == ["region"]
    edited = await client.patch(url, json={"blocks": [TRIGGER, STREAM]}, headers=isv.headers)
    assert [b["id"] for b in edited.json()["blocks"]] == ["bigcommerce-trigger", "stream-data"]
    assert [f["name"] for f in edited.json()["configurableFields"]] == ["region"]

    frozen = await client.patch(
        f"{BASE}/workflows/{workflow_id}/versions/{first['versionId']}",
        json={"blocks": []},
        headers=isv.headers,
    )
    await release(client, isv, workflow_id, made["versionId"])
    twice = await client.put(f"{url}/release", headers=isv.headers)
    after = await client.patch(url, json={"blocks": []}, headers=isv.headers)

    assert [(r.status_code, r.json()["code"]) for r in (frozen, twice, after)] == [
        (409, "version_released")
    ] * 3
    assert [v["status"] for v in await versions_of(client, isv, workflow_id)] == [
        "released",
        "released",
    ]


async def test_blocks_that_break_the_grammar_are_refused_with_every_problem(
    client, isv: IsvFixture
) -> None:
    workflow_id = await a_workflow(client, isv)
    url = f"{BASE}/workflows/{workflow_id}/versions"
    bad = [STREAM, {**TRIGGER, "id": "later"}, {"id": "x", "type": "delay", "name": "Wait"}]

    created = await client.post(url, json={"blocks": bad}, headers=isv.headers)
    made = await draft(client, isv, workflow_id, [TRIGGER])
    edited = await client.patch(
        f"{url}/{made['versionId']}", json={"blocks": bad}, headers=isv.headers
    )

    for refused in (created, edited):
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_blocks")
        message = refused.json()["message"]
        assert 'block "stream-data": the first block must be a trigger' in message
        assert 'block "later": the appTrigger trigger can only be the first block' in message
        assert "block \"x\": unknown type 'delay'" in message
    assert [v["version"] for v in await versions_of(client, isv, workflow_id)] == [1, 2]


async def test_bad_version_requests_are_refused_and_create_nothing(client, isv: IsvFixture) -> None:
    workflow_id = await a_workflow(client, isv)
    url = f"{BASE}/workflows/{workflow_id}/versions"

    no_blocks = await client.post(url, json={"configurableFields": []}, headers=isv.headers)
    bad_field = await client.post(
        url,
        json={"blocks": [], "configurableFields": [{"name": "x", "label": "X", "type": "colour"}]},
        headers=isv.headers,
    )
    unknown_key = await client.post(url, json={"blocks": [], "colour": "red"}, headers=isv.headers)
    unknown_workflow = await client.post(
        f"{BASE}/workflows/nope/versions", json={"blocks": []}, headers=isv.headers
    )
    unknown_version = await client.put(f"{url}/nope/release", headers=isv.headers)
    unknown_patch = await client.patch(f"{url}/nope", json={}, headers=isv.headers)

    assert [r.status_code for r in (no_blocks, bad_field, unknown_key)] == [422, 422, 422]
    assert (unknown_workflow.status_code, unknown_workflow.json()["code"]) == (
        404,
        "workflow_not_found",
    )
    assert (unknown_version.status_code, unknown_version.json()["code"]) == (
        404,
        "version_not_found",
    )
    assert (unknown_patch.status_code, unknown_patch.json()["code"]) == (404, "version_not_found")
    assert len(await versions_of(client, isv, workflow_id)) == 1


async def test_another_isvs_versions_are_not_found(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    workflow_id = await a_workflow(client, isv)
    made = await draft(client, isv, workflow_id, [TRIGGER])
    url = f"{BASE}/workflows/{workflow_id}/versions"
    theirs = other_isv.headers

    answers = [
        await client.get(url, headers=theirs),
        await client.post(url, json={"blocks": []}, headers=theirs),
        await client.patch(f"{url}/{made['versionId']}", json={"blocks": []}, headers=theirs),
        await client.put(f"{url}/{made['versionId']}/release", headers=theirs),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "workflow_not_found")] * 4
    assert [(v["version"], v["status"]) for v in await versions_of(client, isv, workflow_id)] == [
        (1, "released"),
        (2, "draft"),
    ]


async def _load(settings: Settings, path: Path, isv_id: str) -> int:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            report = await load_catalog_file(session, path, uuid.UUID(isv_id))
            await session.commit()
    finally:
        await config.get_engine().dispose()
    return report.versions_created


async def test_catalog_load_of_a_changed_workflow_publishes_one_version(
    client, isv: IsvFixture, settings: Settings, tmp_path: Path
) -> None:
    user_id = await installed_user(client, isv)
    document = yaml.safe_load(EXAMPLE_CATALOG.read_text())
    document["integrations"][0]["workflows"][0]["versions"][0]["configurableFields"] = [REGION]
    changed = tmp_path / "acme.yaml"
    changed.write_text(yaml.safe_dump(document))

    assert await _load(settings, EXAMPLE_CATALOG, isv.isv_id) == 0  # unchanged: nothing new
    assert await _load(settings, changed, isv.isv_id) == 1
    assert await _load(settings, changed, isv.isv_id) == 0

    first, second = (await workflows_of(client, isv, user_id)).values()
    assert (first["version"], first["installedVersion"]) == (2, 1)
    assert (second["version"], second["installedVersion"]) == (1, 1)
    assert [
        (v["version"], v["status"]) for v in await versions_of(client, isv, first["workflowId"])
    ] == [(1, "released"), (2, "released")]

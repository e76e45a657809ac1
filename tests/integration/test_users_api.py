"""ISV API: users and user JWTs, on SQLite and PostgreSQL."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from install_service.db.config import sqlalchemy_config
from install_service.db.models import Workflow, WorkflowVersion
from install_service.db.transactions import write_transaction
from install_service.ids import parse_id
from tests.conftest import IsvFixture
from tests.support.db_rows import as_uuid, count, rows
from tests.support.installs import finish_install, new_user

pytestmark = pytest.mark.usefixtures("backend")


async def test_create_then_read_user_by_id_and_username(client, isv: IsvFixture) -> None:
    created = await client.post(
        "/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers
    )
    assert created.status_code == 201
    user_id = created.json()["userId"]

    by_id = await client.get(f"/2023-12/users/{user_id}", headers=isv.headers)
    by_name = await client.get("/2024-03/users/gregg", headers=isv.headers)
    assert by_id.json() == by_name.json()
    assert by_id.json()["username"] == "gregg" and by_id.json()["fullName"] == "Gregg P"
    assert by_id.json()["createdAt"].endswith("Z")
    listed = await client.get("/2025-09/users", headers={"Authorization": f"bearer {isv.api_key}"})
    assert [u["userId"] for u in listed.json()["data"]] == [user_id]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"username": "gregg"', 400, "bad_request"),
        (b'{"fullName": "No Username"}', 422, "validation_error"),
        (b'{"username": ""}', 422, "validation_error"),
    ],
)
async def test_bad_create_user_bodies_are_refused_and_create_nothing(
    client, isv: IsvFixture, body: bytes, status: int, code: str
) -> None:
    response = await client.post(
        "/2023-12/users", content=body, headers=isv.headers | {"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    assert (await client.get("/2023-12/users", headers=isv.headers)).json()["data"] == []


async def test_duplicate_username_is_409_and_keeps_the_first(client, isv: IsvFixture) -> None:
    first = await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    again = await client.post(
        "/2023-12/users", json={"username": "gregg", "fullName": "Impostor"}, headers=isv.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "duplicate_user"
    users = (await client.get("/2023-12/users", headers=isv.headers)).json()["data"]
    assert [(u["userId"], u["fullName"]) for u in users] == [(first.json()["userId"], None)]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer isk_dev_wrong"}, {"Authorization": "Basic abc"}]
)
async def test_missing_or_wrong_api_key_is_401(
    client, isv: IsvFixture, headers: dict[str, str]
) -> None:
    for method, path in (
        ("GET", "/2023-12/users"),
        ("POST", "/2023-12/users"),
        ("GET", "/2023-12/integrations?userId=x"),
    ):
        response = await client.request(method, path, headers=headers, json={"username": "x"})
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"
    assert (await client.get("/2023-12/users", headers=isv.headers)).json()["data"] == []


async def test_another_isvs_key_gets_404_for_our_user_and_integration(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    user_id = (
        await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    ).json()["userId"]
    for path in (
        f"/2023-12/users/{user_id}",
        f"/2023-12/users/{user_id}/token",
        f"/2023-12/integrations?userId={user_id}",
        f"/2023-12/integrations/{isv.integration_id}?userId={user_id}",
    ):
        response = await client.get(path, headers=other_isv.headers)
        assert response.status_code == 404, path
    other_user = (
        await client.post("/2023-12/users", json={"username": "gregg"}, headers=other_isv.headers)
    ).json()["userId"]
    response = await client.get(
        f"/2023-12/integrations/{isv.integration_id}?userId={other_user}", headers=other_isv.headers
    )
    assert response.status_code == 404


async def test_user_token_is_an_hour_long_eddsa_jwt_verifiable_with_the_jwks(
    client, isv: IsvFixture
) -> None:
    user_id = (
        await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    ).json()["userId"]
    for path in (f"/2023-12/users/{user_id}/token", "/2023-12/user/gregg/token"):
        token = (await client.get(path, headers=isv.headers)).json()["token"]
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "EdDSA" and header["kid"]
        jwks = (await client.get("/.well-known/jwks.json")).json()
        key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]].key
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience="install-service:user",
            issuer="http://testserver.local",
        )
        assert claims["sub"] == user_id and claims["isv"] == isv.isv_id
        assert claims["exp"] - claims["iat"] == 3600
        assert set(claims) == {"sub", "isv", "iss", "aud", "iat", "exp", "jti"}


async def _usernames(client, isv: IsvFixture) -> list[str]:
    return [
        u["username"]
        for u in (await client.get("/2023-12/users", headers=isv.headers)).json()["data"]
    ]


async def test_batch_creates_the_free_usernames_and_reports_the_others(
    client, isv: IsvFixture
) -> None:
    await client.post("/2023-12/users", json={"username": "taken"}, headers=isv.headers)
    body = {
        "users": [
            {"username": "ann", "fullName": "Ann A"},
            {"username": "taken"},
            {"username": "bob"},
            {"username": "ann", "fullName": "Ann B"},
        ]
    }
    response = await client.post("/2023-12/users/batch", json=body, headers=isv.headers)
    assert response.status_code == 201
    created, errors = response.json()["data"], response.json()["errors"]
    assert [u["username"] for u in created] == ["ann", "bob"]
    assert [e["username"] for e in errors] == ["taken", "ann"] and all(e["message"] for e in errors)
    ann = (await client.get(f"/2023-12/users/{created[0]['userId']}", headers=isv.headers)).json()
    assert (ann["username"], ann["fullName"]) == ("ann", "Ann A")
    assert await _usernames(client, isv) == ["taken", "ann", "bob"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"users": []},
        {"users": [{"username": f"u{i}"} for i in range(1001)]},
        {"users": [{"username": "ok"}, {"username": " "}]},
    ],
    ids=["missing", "empty", "over-1000", "blank-username"],
)
async def test_bad_batches_are_422_and_create_nothing(client, isv: IsvFixture, body: dict) -> None:
    response = await client.post("/2023-12/users/batch", json=body, headers=isv.headers)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert await _usernames(client, isv) == []


async def test_put_renames_and_sets_or_clears_the_full_name(client, isv: IsvFixture) -> None:
    user_id = (
        await client.post(
            "/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers
        )
    ).json()["userId"]
    renamed = await client.put(
        "/2023-12/users/gregg", json={"username": "greggory"}, headers=isv.headers
    )
    assert renamed.status_code == 200
    assert (renamed.json()["userId"], renamed.json()["username"], renamed.json()["fullName"]) == (
        user_id,
        "greggory",
        "Gregg P",
    )
    assert (await client.get("/2023-12/users/gregg", headers=isv.headers)).status_code == 404
    named = await client.put(
        f"/2023-12/users/{user_id}", json={"fullName": "G. P."}, headers=isv.headers
    )
    assert (named.json()["username"], named.json()["fullName"]) == ("greggory", "G. P.")
    cleared = await client.put(
        "/2023-12/users/greggory", json={"fullName": None}, headers=isv.headers
    )
    assert cleared.json()["fullName"] is None
    same = await client.put(
        "/2023-12/users/greggory", json={"username": "greggory"}, headers=isv.headers
    )
    assert same.status_code == 200
    assert (
        await client.get(f"/2023-12/users/{user_id}", headers=isv.headers)
    ).json() == same.json()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "taken"}, 409, "duplicate_user"),
        ({"username": ""}, 422, "validation_error"),
        ({"username": None}, 422, "validation_error"),
    ],
)
async def test_bad_renames_are_refused_and_change_nothing(
    client, isv: IsvFixture, body: dict, status: int, code: str
) -> None:
    await client.post("/2023-12/users", json={"username": "taken"}, headers=isv.headers)
    await client.post(
        "/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers
    )
    response = await client.put(
        "/2023-12/users/gregg", json=body | {"fullName": "Changed"}, headers=isv.headers
    )
    assert response.status_code == status and response.json()["code"] == code
    assert (await client.get("/2023-12/users/gregg", headers=isv.headers)).json()[
        "fullName"
    ] == "Gregg P"
    assert (
        await client.put("/2023-12/users/nobody", json={"fullName": "x"}, headers=isv.headers)
    ).status_code == 404


async def _add_user_specific_version(
    database_url: str, isv: IsvFixture, user_id: str, version: int
) -> None:
    """What the Installation Manager stores for a user-specific version (no API makes one yet)."""
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session, write_transaction(session):
            workflow = await session.scalar(
                select(Workflow)
                .where(Workflow.integration_id == parse_id(isv.integration_id))
                .limit(1)
            )
            session.add(
                WorkflowVersion(
                    workflow_id=workflow.id,
                    version=version,
                    status="released",
                    user_id=parse_id(user_id),
                )
            )
    finally:
        await config.get_engine().dispose()


async def _owned_rows(database_url: str) -> dict[str, set]:
    """For each table with a user, the user ids it holds rows for."""
    owned = {}
    for table in ("credential", "installation", "install_link", "workflow_version"):
        owned[table] = {
            as_uuid(r["user_id"])
            for r in await rows(
                database_url, f"SELECT user_id FROM {table} WHERE user_id IS NOT NULL"
            )
        }
    installed = await rows(
        database_url,
        "SELECT i.user_id FROM installed_workflow w JOIN installation i ON i.id = w.installation_id",
    )
    owned["installed_workflow"] = {as_uuid(r["user_id"]) for r in installed}
    return owned


async def test_delete_removes_the_user_and_everything_of_theirs_only(
    client, isv: IsvFixture, database_url: str
) -> None:
    gone_id, gone_token = await new_user(client, isv, "gregg")
    kept_id, kept_token = await new_user(client, isv, "keeper")
    for version, (user_id, token) in enumerate(
        ((gone_id, gone_token), (kept_id, kept_token)), start=100
    ):
        assert (await finish_install(client, isv.integration_id, token)).status_code == 200
        link = await client.get(
            f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url",
            headers=isv.headers,
        )
        assert link.status_code == 200
        await _add_user_specific_version(database_url, isv, user_id, version)
    both = {as_uuid(gone_id), as_uuid(kept_id)}
    assert all(users == both for users in (await _owned_rows(database_url)).values())

    deleted = await client.delete("/2023-12/users/gregg", headers=isv.headers)
    assert deleted.status_code == 200 and deleted.json() == {"success": True}

    assert all(users == {as_uuid(kept_id)} for users in (await _owned_rows(database_url)).values())
    for path in (
        f"/2023-12/users/{gone_id}",
        f"/2023-12/users/{gone_id}/token",
        f"/2023-12/integrations?userId={gone_id}",
    ):
        assert (await client.get(path, headers=isv.headers)).status_code == 404, path
    refused = await finish_install(client, isv.integration_id, gone_token)
    assert refused.status_code == 401
    assert await count(database_url, "installation") == 1
    assert (
        await client.delete(f"/2023-12/users/{gone_id}", headers=isv.headers)
    ).status_code == 404
    assert (
        await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    ).status_code == 201
    assert (
        await client.get(f"/2023-12/integrations?userId={kept_id}", headers=isv.headers)
    ).json()["data"][0]["installed"] is True


async def test_list_pages_with_limit_and_cursor_until_null(client, isv: IsvFixture) -> None:
    created = (
        await client.post(
            "/2023-12/users/batch",
            json={"users": [{"username": f"user{i:02}"} for i in range(7)]},
            headers=isv.headers,
        )
    ).json()["data"]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/2023-12/users", params=params, headers=isv.headers)).json()
        assert len(page["data"]) <= 3 and "nextCursor" in page
        seen += [u["userId"] for u in page["data"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
        await client.post("/2023-12/users", json={"username": f"late{pages}"}, headers=isv.headers)
    assert seen[:7] == [u["userId"] for u in created] and len(seen) == len(set(seen))
    assert pages == 3 and len(seen) == 9  # users added meanwhile come after, never twice
    whole = (
        await client.get("/2023-12/users?limit=&cursor=&unknown=1", headers=isv.headers)
    ).json()
    assert [u["userId"] for u in whole["data"]] == seen and whole["nextCursor"] is None


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=1001", "limit=abc", "limit=2.5", "cursor=bm90LWEtY3Vyc29y", "cursor=%%%"],
)
async def test_bad_limit_or_cursor_is_422(client, isv: IsvFixture, query: str) -> None:
    await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    response = await client.get(f"/2023-12/users?{query}", headers=isv.headers)
    assert response.status_code == 422 and response.json()["code"] in {
        "invalid_limit",
        "invalid_cursor",
    }

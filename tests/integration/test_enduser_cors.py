"""CORS on the end-user API: a browser page may call it only from an origin the token's ISV
listed (``isv`` allows http://localhost:9100, ``other_isv`` http://localhost:9200)."""

from __future__ import annotations

import pytest

from tests.conftest import HOST_ORIGIN, IsvFixture
from tests.support.installs import finish_install, new_user

pytestmark = pytest.mark.usefixtures("backend")

OTHER_ISVS_ORIGIN = "http://localhost:9200"
LOOK_ALIKES = (
    "http://localhost:9100.evil.test",
    "http://evil.test/http://localhost:9100",
    "https://localhost:9100",
    "http://localhost:91000",
    "null",
)
PATHS = (
    "/2024-03/integrations",
    "/2024-03/workflows",
    "/2024-03/workflows/activate",
    "/2025-09/workflows/deactivate",
)


def preflight(client, path: str, origin: str, method: str = "PUT"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "x-alloy-user-token, content-type",
        },
    )


@pytest.mark.parametrize("path", PATHS)
async def test_preflight_from_a_listed_origin_allows_the_token_header(
    client, isv: IsvFixture, path: str
) -> None:
    response = await preflight(client, path, HOST_ORIGIN)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "PUT"}
    assert set(response.headers["access-control-allow-headers"].split(", ")) == {
        "x-alloy-user-token",
        "content-type",
    }
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize("origin", LOOK_ALIKES)
async def test_preflight_from_a_look_alike_origin_is_refused(
    client, isv: IsvFixture, origin: str
) -> None:
    for path in PATHS:
        response = await preflight(client, path, origin)
        assert response.status_code == 403 and response.json()["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_reads_answers_and_errors(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    for path in ("/2024-03/integrations", "/2024-03/workflows"):
        response = await client.get(
            path, headers={"Origin": HOST_ORIGIN, "x-alloy-user-token": token}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == HOST_ORIGIN
        assert "RateLimit-Remaining" in response.headers["access-control-expose-headers"]
    error = await client.put(
        "/2024-03/workflows/activate",
        json={"workflowId": "nope"},
        headers={"Origin": HOST_ORIGIN, "x-alloy-user-token": token},
    )
    assert error.status_code == 404 and error.headers["access-control-allow-origin"] == HOST_ORIGIN
    unauthenticated = await client.get(
        "/2024-03/workflows", headers={"Origin": HOST_ORIGIN, "x-alloy-user-token": "bad"}
    )
    assert (
        unauthenticated.status_code == 401
        and unauthenticated.headers["access-control-allow-origin"] == HOST_ORIGIN
    )
    no_origin = await client.get("/2024-03/workflows", headers={"x-alloy-user-token": token})
    assert (
        "access-control-allow-origin" not in no_origin.headers
        and no_origin.headers["vary"] == "Origin"
    )


@pytest.mark.parametrize("origin", LOOK_ALIKES)
async def test_a_look_alike_origin_gets_no_cors_header_and_cannot_act(
    client, isv: IsvFixture, origin: str
) -> None:
    _, token = await new_user(client, isv)
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    workflows = (
        await client.get("/2024-03/workflows", headers={"x-alloy-user-token": token})
    ).json()["data"]

    read = await client.get(
        "/2024-03/integrations", headers={"Origin": origin, "x-alloy-user-token": token}
    )
    assert read.status_code == 403 and read.json()["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in read.headers
    paused = await client.put(
        "/2024-03/workflows/deactivate",
        json={"workflowId": workflows[0]["workflowId"]},
        headers={"Origin": origin, "x-alloy-user-token": token},
    )
    assert paused.status_code == 403 and "access-control-allow-origin" not in paused.headers
    after = (await client.get("/2024-03/workflows", headers={"x-alloy-user-token": token})).json()[
        "data"
    ]
    assert all(w["active"] for w in after)


async def test_another_isvs_origin_cannot_use_this_isvs_token(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    _, token = await new_user(client, isv)
    _, other_token = await new_user(client, other_isv)
    assert (
        await preflight(client, PATHS[0], OTHER_ISVS_ORIGIN, "GET")
    ).status_code == 204  # listed by OtherCo
    refused = await client.get(
        "/2024-03/integrations", headers={"Origin": OTHER_ISVS_ORIGIN, "x-alloy-user-token": token}
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    own = await client.get(
        "/2024-03/integrations",
        headers={"Origin": OTHER_ISVS_ORIGIN, "x-alloy-user-token": other_token},
    )
    assert (
        own.status_code == 200 and own.headers["access-control-allow-origin"] == OTHER_ISVS_ORIGIN
    )


async def test_api_key_calls_and_other_routes_get_no_cors_headers(client, isv: IsvFixture) -> None:
    user_id, _ = await new_user(client, isv)
    by_key = await client.get(
        f"/2024-03/integrations?userId={user_id}", headers=isv.headers | {"Origin": HOST_ORIGIN}
    )
    assert by_key.status_code == 200 and "access-control-allow-origin" not in by_key.headers
    users = await preflight(client, "/2024-03/users", HOST_ORIGIN, "GET")
    assert "access-control-allow-origin" not in users.headers


async def test_the_services_own_pages_need_no_listed_origin(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    response = await client.get(
        "/2024-03/integrations",
        headers={"Origin": "http://testserver.local", "x-alloy-user-token": token},
    )
    assert response.status_code == 200


async def test_a_deleted_users_token_from_a_listed_origin_is_refused_at_once(
    client, isv: IsvFixture
) -> None:
    """The 401 is decided while the request's own session is open: no second session may
    queue behind its lock (on SQLite that was a 10 s wait and a 500)."""
    user_id, token = await new_user(client, isv)
    assert (
        await client.delete(f"/2023-12/users/{user_id}", headers=isv.headers)
    ).status_code == 200
    for path in ("/2024-03/integrations", "/2024-03/workflows"):
        refused = await client.get(
            path, headers={"Origin": HOST_ORIGIN, "x-alloy-user-token": token}
        )
        assert refused.status_code == 401, refused.text
        assert refused.json()["code"] == "token_unknown_user"
        assert refused.headers["access-control-allow-origin"] == HOST_ORIGIN


async def test_end_user_answers_come_while_another_connection_holds_the_write_lock(
    client, isv: IsvFixture, database_url: str
) -> None:
    """Neither the request nor its CORS answer waits for SQLite's write lock: the request
    only reads (a deferred transaction) and the middleware reads nothing."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never wait for writers (MVCC)")
    import sqlite3

    user_id, token = await new_user(client, isv)
    _, live_token = await new_user(client, isv, "still-here")
    assert (
        await client.delete(f"/2023-12/users/{user_id}", headers=isv.headers)
    ).status_code == 200
    writer = sqlite3.connect(database_url.split(":///", 1)[1], isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE isv SET name = name")
        browser = {"Origin": HOST_ORIGIN}
        refused = await client.get(
            "/2024-03/integrations", headers=browser | {"x-alloy-user-token": token}
        )
        served = await client.get(
            "/2024-03/integrations", headers=browser | {"x-alloy-user-token": live_token}
        )
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert refused.status_code == 401 and refused.json()["code"] == "token_unknown_user"
    assert served.status_code == 200, served.text
    for answer in (refused, served):
        assert answer.headers["access-control-allow-origin"] == HOST_ORIGIN

"""Environments: each ISV's development and production API keys see separate end users.

Every route that takes a ``userId`` (or username) answers 404 for a user of another ISV
and for a user of the same ISV's other environment, and changes nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import IsvFixture

pytestmark = pytest.mark.usefixtures("backend")


def user_routes(user: str, integration_id: str) -> list[tuple[str, str, dict | None]]:
    """Every ISV route taking the user ``user`` (an id or a username): (method, path, body)."""
    return [
        ("GET", f"/2023-12/users/{user}", None),
        ("PUT", f"/2023-12/users/{user}", {"fullName": "Intruder", "username": "intruder"}),
        ("GET", f"/2023-12/users/{user}/token", None),
        ("GET", f"/2023-12/user/{user}/token", None),
        ("GET", f"/2023-12/integrations?userId={user}", None),
        ("GET", f"/2023-12/integrations/{integration_id}?userId={user}", None),
        ("GET", f"/2023-12/users/{user}/integrations/{integration_id}/install-url", None),
        ("GET", f"/2023-12/install-url?userId={user}&integrationId={integration_id}", None),
        ("GET", f"/2023-12/users/{user}/links", None),
        ("GET", f"/2023-12/users/{user}/credentials", None),
        ("GET", f"/2023-12/credentials?userId={user}", None),
        ("GET", f"/2023-12/workflows?userId={user}", None),
        ("PUT", f"/2023-12/users/{user}/deactivate-workflows", None),
        ("DELETE", f"/2023-12/users/{user}", None),
    ]


async def test_the_production_key_works_and_sees_only_production_users(
    client, isv: IsvFixture
) -> None:
    assert isv.production_api_key.startswith("isk_prod_")
    dev = await client.post(
        "/2023-12/users", json={"username": "gregg", "fullName": "Dev"}, headers=isv.headers
    )
    prod = await client.post(
        "/2023-12/users",
        json={"username": "gregg", "fullName": "Prod"},
        headers=isv.production_headers,
    )
    assert dev.status_code == prod.status_code == 201 and dev.json() != prod.json()
    batch = await client.post(
        "/2023-12/users/batch",
        json={"users": [{"username": "gregg"}, {"username": "ann"}]},
        headers=isv.production_headers,
    )
    assert [e["username"] for e in batch.json()["errors"]] == ["gregg"]

    def listed(response) -> list[tuple[str, str | None]]:
        return [(u["username"], u["fullName"]) for u in response.json()["data"]]

    assert listed(await client.get("/2023-12/users", headers=isv.headers)) == [("gregg", "Dev")]
    assert listed(await client.get("/2023-12/users", headers=isv.production_headers)) == [
        ("gregg", "Prod"),
        ("ann", None),
    ]
    by_name = await client.get("/2023-12/users/gregg", headers=isv.production_headers)
    assert by_name.json()["userId"] == prod.json()["userId"]
    integrations = await client.get(
        "/2023-12/integrations?userId=gregg", headers=isv.production_headers
    )
    assert [i["integrationId"] for i in integrations.json()["data"]] == [isv.integration_id]


@pytest.mark.parametrize("intruder", ["other-isv", "other-environment"])
@pytest.mark.parametrize("ref", ["userId", "username"])
async def test_every_user_route_is_404_across_isvs_and_environments(
    client, isv: IsvFixture, other_isv: IsvFixture, intruder: str, ref: str
) -> None:
    user_id = (
        await client.post(
            "/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers
        )
    ).json()["userId"]
    link = await client.get(
        f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url",
        headers=isv.headers,
    )
    headers = other_isv.headers if intruder == "other-isv" else isv.production_headers
    # The intruder has users of its own, so a lookup that ignored the scope would find one.
    assert (
        await client.post("/2023-12/users", json={"username": "someone"}, headers=headers)
    ).status_code == 201

    user = user_id if ref == "userId" else "gregg"
    for method, path, body in user_routes(user, isv.integration_id):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] in {"user_not_found", "not_found"}
    revoke = await client.delete(f"/2023-12/links/{link.json()['linkId']}", headers=headers)
    assert revoke.status_code == 404

    mine = await client.get(f"/2023-12/users/{user_id}", headers=isv.headers)
    assert (mine.json()["username"], mine.json()["fullName"]) == ("gregg", "Gregg P")
    links = await client.get(f"/2023-12/users/{user_id}/links", headers=isv.headers)
    assert [x["status"] for x in links.json()["data"]] == ["pending"]
    intruders_users = (await client.get("/2023-12/users", headers=headers)).json()["data"]
    assert [u["username"] for u in intruders_users] == ["someone"]

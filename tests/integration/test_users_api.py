"""ISV API: users and user JWTs, on SQLite and PostgreSQL."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import IsvFixture

pytestmark = pytest.mark.usefixtures("backend")


async def test_create_then_read_user_by_id_and_username(client, isv: IsvFixture) -> None:
    created = await client.post("/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers)
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
async def test_bad_create_user_bodies_are_refused_and_create_nothing(client, isv: IsvFixture, body: bytes, status: int, code: str) -> None:
    response = await client.post("/2023-12/users", content=body, headers=isv.headers | {"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    assert (await client.get("/2023-12/users", headers=isv.headers)).json()["data"] == []


async def test_duplicate_username_is_409_and_keeps_the_first(client, isv: IsvFixture) -> None:
    first = await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)
    again = await client.post("/2023-12/users", json={"username": "gregg", "fullName": "Impostor"}, headers=isv.headers)
    assert again.status_code == 409 and again.json()["code"] == "duplicate_user"
    users = (await client.get("/2023-12/users", headers=isv.headers)).json()["data"]
    assert [(u["userId"], u["fullName"]) for u in users] == [(first.json()["userId"], None)]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer isk_dev_wrong"}, {"Authorization": "Basic abc"}])
async def test_missing_or_wrong_api_key_is_401(client, isv: IsvFixture, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/2023-12/users"), ("POST", "/2023-12/users"), ("GET", f"/2023-12/integrations?userId=x")):
        response = await client.request(method, path, headers=headers, json={"username": "x"})
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"
    assert (await client.get("/2023-12/users", headers=isv.headers)).json()["data"] == []


async def test_another_isvs_key_gets_404_for_our_user_and_integration(client, isv: IsvFixture, other_isv: IsvFixture) -> None:
    user_id = (await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)).json()["userId"]
    for path in (
        f"/2023-12/users/{user_id}",
        f"/2023-12/users/{user_id}/token",
        f"/2023-12/integrations?userId={user_id}",
        f"/2023-12/integrations/{isv.integration_id}?userId={user_id}",
    ):
        response = await client.get(path, headers=other_isv.headers)
        assert response.status_code == 404, path
    other_user = (await client.post("/2023-12/users", json={"username": "gregg"}, headers=other_isv.headers)).json()["userId"]
    response = await client.get(f"/2023-12/integrations/{isv.integration_id}?userId={other_user}", headers=other_isv.headers)
    assert response.status_code == 404


async def test_user_token_is_an_hour_long_eddsa_jwt_verifiable_with_the_jwks(client, isv: IsvFixture) -> None:
    user_id = (await client.post("/2023-12/users", json={"username": "gregg"}, headers=isv.headers)).json()["userId"]
    for path in (f"/2023-12/users/{user_id}/token", "/2023-12/user/gregg/token"):
        token = (await client.get(path, headers=isv.headers)).json()["token"]
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "EdDSA" and header["kid"]
        jwks = (await client.get("/.well-known/jwks.json")).json()
        key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]].key
        claims = jwt.decode(token, key, algorithms=["EdDSA"], audience="install-service:user", issuer="http://testserver.local")
        assert claims["sub"] == user_id and claims["isv"] == isv.isv_id
        assert claims["exp"] - claims["iat"] == 3600
        assert set(claims) == {"sub", "isv", "iss", "aud", "iat", "exp", "jti"}

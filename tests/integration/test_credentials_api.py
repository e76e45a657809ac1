"""ISV API: an end user's credentials (list, create, delete), on SQLite and PostgreSQL.

BigCommerce is a real local server (``tests.support.fake_bigcommerce``) that the connector's
connection test calls; a credential is stored only once it answered 200.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import load_keys
from tests.conftest import IsvFixture
from tests.support.db_rows import as_uuid, count, rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import finish_install, new_user

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "bc-s3cret-token-0f9a"
GOOD = {"app": "bigcommerce", "data": {"storeHash": "abc123", "accessToken": SECRET}}


def url(user: str, credential_id: str | None = None, version: str = "2023-12") -> str:
    return f"/{version}/users/{user}/credentials" + (f"/{credential_id}" if credential_id else "")


async def create(client, isv: IsvFixture, user: str = "gregg", body: dict = GOOD) -> str:
    response = await client.post(url(user), json=body, headers=isv.headers)
    assert response.status_code == 201, response.text
    return response.json()["credentialId"]


async def listed(client, isv: IsvFixture, user: str = "gregg") -> list[dict]:
    response = await client.get(url(user), headers=isv.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_a_credential_the_app_accepts_is_stored_encrypted_and_listed_without_secrets(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str, modal_settings
) -> None:
    user_id, _ = await new_user(client, isv)
    body = {"app": "bigcommerce", "data": {"storeHash": " abc123 ", "accessToken": SECRET}}
    created = await client.post(url("gregg"), json=body, headers=isv.headers)

    assert created.status_code == 201 and list(created.json()) == ["credentialId"]
    credential_id = created.json()["credentialId"]
    [call] = bigcommerce.requests
    assert call.path == "/stores/abc123/v2/store" and call.headers["x-auth-token"] == SECRET
    by_id = await listed(client, isv, user_id)
    assert by_id == await listed(client, isv, "gregg")
    [item] = by_id
    assert set(item) == {"credentialId", "app", "name", "createdAt"}
    assert (item["credentialId"], item["app"], item["name"]) == (
        credential_id,
        "bigcommerce",
        "BigCommerce (gregg)",
    )
    assert item["createdAt"].endswith("Z")
    for response in (
        created,
        await client.get(url("gregg", version="2025-09"), headers=isv.headers),
    ):
        assert SECRET not in response.text

    [row] = await rows(database_url, "SELECT * FROM credential")
    assert str(as_uuid(row["id"])) == credential_id and SECRET.encode() not in bytes(
        row["ciphertext"]
    )
    public = row["public_fields"]
    assert (public if isinstance(public, dict) else json.loads(public)) == {"storeHash": "abc123"}
    cipher = CredentialCipher(load_keys(modal_settings).credential_keys)
    opened = cipher.open(
        row["key_id"],
        bytes(row["ciphertext"]),
        isv_id=isv.isv_id,
        user_id=user_id,
        credential_id=credential_id,
    )
    assert opened == {"accessToken": SECRET}


async def test_a_token_the_app_refuses_is_422_with_its_reason_and_stores_nothing(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str
) -> None:
    await new_user(client, isv)
    bigcommerce.refuse("Invalid token for this store")

    response = await client.post(url("gregg"), json=GOOD, headers=isv.headers)

    assert response.status_code == 422
    assert response.json() == {
        "message": "BigCommerce said: 401 Unauthorized – Invalid token for this store",
        "code": "connection_failed",
    }
    assert len(bigcommerce.requests) == 1 and SECRET not in response.text
    assert await count(database_url, "credential") == 0
    assert await listed(client, isv) == []


async def test_an_unreachable_app_is_422_and_stores_nothing(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str
) -> None:
    await new_user(client, isv)
    bigcommerce.stop()

    response = await client.post(url("gregg"), json=GOOD, headers=isv.headers)

    assert response.status_code == 422 and response.json()["code"] == "connection_failed"
    assert response.json()["message"] == "Could not reach BigCommerce: connection refused"
    assert await count(database_url, "credential") == 0


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ({"app": "salesforce", "data": {"token": "x"}}, "unknown_app", "'salesforce'"),
        (
            {"app": "bigcommerce", "data": {**GOOD["data"], "store_hash": "abc123"}},
            "unknown_field",
            "store_hash",
        ),
        (
            {"app": "bigcommerce", "data": {"storeHash": "abc123"}},
            "invalid_credential",
            "accessToken: Access token is required.",
        ),
        (
            {"app": "bigcommerce", "data": {"storeHash": "abc123", "accessToken": "  "}},
            "invalid_credential",
            "accessToken: Access token is required.",
        ),
        (
            {"app": "bigcommerce", "data": {**GOOD["data"], "storeHash": "/stores/ABC"}},
            "invalid_credential",
            "storeHash: The store hash has only lower-case letters",
        ),
        (
            {"app": "bigcommerce", "data": {**GOOD["data"], "accessToken": "a\r\nX-Evil: 1"}},
            "invalid_credential",
            "Access token contains characters that are not allowed.",
        ),
        (
            {"app": "bigcommerce", "data": {**GOOD["data"], "accessToken": 12345}},
            "validation_error",
            "data",
        ),
        ({"app": "bigcommerce"}, "validation_error", "data"),
        ({"data": GOOD["data"]}, "validation_error", "app"),
        ({**GOOD, "name": "mine"}, "validation_error", "name"),
    ],
)
async def test_invalid_values_are_422_naming_the_problem_and_reach_no_app(
    client,
    isv: IsvFixture,
    bigcommerce: FakeBigCommerce,
    database_url: str,
    body: dict,
    code: str,
    named: str,
) -> None:
    await new_user(client, isv)

    response = await client.post(url("gregg"), json=body, headers=isv.headers)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code and named in response.json()["message"]
    assert SECRET not in response.text
    assert bigcommerce.requests == []
    assert await count(database_url, "credential") == 0


async def test_malformed_json_is_400_and_stores_nothing(
    client, isv: IsvFixture, database_url: str
) -> None:
    await new_user(client, isv)
    response = await client.post(
        url("gregg"),
        content=b'{"app": "bigcommerce"',
        headers=isv.headers | {"content-type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert await count(database_url, "credential") == 0


async def test_unknown_user_is_404_on_every_route(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce
) -> None:
    for method, path in (
        ("GET", url("nobody")),
        ("POST", url("nobody")),
        ("DELETE", url("nobody", "0190c5a6-0000-7000-8000-000000000000")),
    ):
        response = await client.request(method, path, json=GOOD, headers=isv.headers)
        assert response.status_code == 404, path
        assert response.json() == {"message": "User not found", "code": "user_not_found"}
    assert bigcommerce.requests == []


async def test_routes_need_an_api_key(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce
) -> None:
    await new_user(client, isv)
    credential_id = await create(client, isv)
    for method, path in (
        ("GET", url("gregg")),
        ("POST", url("gregg")),
        ("DELETE", url("gregg", credential_id)),
    ):
        response = await client.request(
            method, path, json=GOOD, headers={"Authorization": "Bearer nope"}
        )
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert [c["credentialId"] for c in await listed(client, isv)] == [credential_id]


async def test_delete_removes_the_credential(client, isv: IsvFixture, database_url: str) -> None:
    await new_user(client, isv)
    kept, removed = await create(client, isv), await create(client, isv)

    response = await client.delete(url("gregg", removed), headers=isv.headers)

    assert response.status_code == 200 and response.json() == {"success": True}
    assert [c["credentialId"] for c in await listed(client, isv)] == [kept]
    assert await count(database_url, "credential") == 1
    again = await client.delete(url("gregg", removed), headers=isv.headers)
    assert again.status_code == 404
    assert again.json() == {"message": "Credential not found", "code": "credential_not_found"}
    for bogus in ("not-an-id", "0190c5a6-0000-7000-8000-000000000000"):
        assert (await client.delete(url("gregg", bogus), headers=isv.headers)).status_code == 404


async def test_another_isv_or_user_gets_404_and_changes_nothing(
    client, isv: IsvFixture, other_isv: IsvFixture, bigcommerce: FakeBigCommerce
) -> None:
    user_id, _ = await new_user(client, isv)
    await new_user(client, isv, "bob")
    await new_user(client, other_isv)  # OtherCo's own "gregg"
    credential_id = await create(client, isv)
    calls = len(bigcommerce.requests)

    for method in ("GET", "POST", "DELETE"):  # AcmeCo's user id means nothing to OtherCo
        path = url(user_id, credential_id) if method == "DELETE" else url(user_id)
        response = await client.request(method, path, json=GOOD, headers=other_isv.headers)
        assert response.status_code == 404 and response.json()["code"] == "user_not_found"
    assert await listed(client, other_isv) == []  # OtherCo's own gregg has none...
    theirs = await client.delete(url("gregg", credential_id), headers=other_isv.headers)
    assert theirs.status_code == 404 and theirs.json()["code"] == "credential_not_found"
    as_bob = await client.delete(url("bob", credential_id), headers=isv.headers)  # ...nor has bob
    assert as_bob.status_code == 404 and as_bob.json()["code"] == "credential_not_found"
    assert await listed(client, isv, "bob") == []

    assert len(bigcommerce.requests) == calls
    assert [c["credentialId"] for c in await listed(client, isv)] == [credential_id]


async def test_an_installations_credential_cannot_be_deleted_until_replaced(
    client, isv: IsvFixture, database_url: str, bigcommerce: FakeBigCommerce
) -> None:
    _, token = await new_user(client, isv)
    assert (await finish_install(client, isv.integration_id, token)).status_code == 200
    [first] = await listed(client, isv)

    in_use = await client.delete(url("gregg", first["credentialId"]), headers=isv.headers)

    assert in_use.status_code == 409 and in_use.json()["code"] == "credential_in_use"
    assert "active installation of" in in_use.json()["message"]
    await _deactivate_all_workflows(database_url)  # what PUT /workflows/deactivate leaves
    still = await client.delete(url("gregg", first["credentialId"]), headers=isv.headers)
    assert still.status_code == 409 and "deactivated installation" in still.json()["message"]

    reinstall = await finish_install(
        client, isv.integration_id, token, alwaysShowAuthentication="true"
    )
    assert reinstall.status_code == 200
    first_again, second = await listed(client, isv)
    assert first_again == first
    freed = await client.delete(url("gregg", first["credentialId"]), headers=isv.headers)
    assert freed.status_code == 200 and freed.json() == {"success": True}
    current = await client.delete(url("gregg", second["credentialId"]), headers=isv.headers)
    assert current.status_code == 409
    assert await listed(client, isv) == [second]


async def _deactivate_all_workflows(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE installed_workflow SET active = false"))
    finally:
        await engine.dispose()

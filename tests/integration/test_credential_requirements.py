"""ISV API: ``GET /credentials?userId=``, which app credentials a user needs and which they
have, on SQLite and PostgreSQL. Never a value, secret or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from install_service.catalog.loader import load_catalog_file
from install_service.db.config import sqlalchemy_config
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "bc-s3cret-token-77c1"
BIGCOMMERCE = {
    "app": "bigcommerce",
    "name": "BigCommerce",
    "authType": "apiKey",
    "fields": [
        {"name": "storeHash", "label": "Store hash", "secret": False, "required": True},
        {"name": "accessToken", "label": "Access token", "secret": True, "required": True},
    ],
}
MORE_INTEGRATIONS = """
integrations:
  - key: {key}
    app: {app}
    name: {name}
    workflows:
      - key: on-event
        name: On an event
        versions:
          - version: 1
            status: released
            blocks:
              - id: custom-event
                type: customEvent
                name: Custom Event
                event: Something Happened
                schema:
                  orderId: String
"""


def url(user: str | None, version: str = "2023-12") -> str:
    return f"/{version}/credentials" + ("" if user is None else f"?userId={user}")


async def requirements(client, isv: IsvFixture, user: str) -> list[dict]:
    response = await client.get(url(user), headers=isv.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def add_integration(settings, tmp_path: Path, isv: IsvFixture, **values: str) -> None:
    path = tmp_path / f"{values['key']}.yaml"
    path.write_text(MORE_INTEGRATIONS.format(**values))
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await load_catalog_file(session, path, isv.isv_id)
    finally:
        await config.get_engine().dispose()


async def test_each_app_the_integrations_use_is_listed_once_with_the_fields_it_needs(
    client, settings, tmp_path: Path, isv: IsvFixture
) -> None:
    user_id, _ = await new_user(client, isv)
    assert await requirements(client, isv, user_id) == [BIGCOMMERCE | {"connected": False}]

    await add_integration(settings, tmp_path, isv, key="bc-two", app="bigcommerce", name="BC 2")
    await add_integration(settings, tmp_path, isv, key="shop", app="shopify", name="Shopify")
    listed = await requirements(client, isv, "gregg")  # the username works too

    assert [(r["app"], r["name"], r["connected"]) for r in listed] == [
        ("bigcommerce", "BigCommerce", False),
        ("shopify", "Shopify", False),
    ]
    shopify = listed[1]
    assert shopify["authType"] == "apiKey"
    assert [(f["name"], f["secret"]) for f in shopify["fields"]] == [
        ("shop", False),
        ("accessToken", True),
    ]
    assert await requirements(client, isv, user_id) == listed


async def test_connected_once_the_user_has_a_credential_and_never_shows_its_values(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce
) -> None:
    user_id, _ = await new_user(client, isv)
    await new_user(client, isv, "ann")
    created = await client.post(
        f"/2023-12/users/{user_id}/credentials",
        json={"app": "bigcommerce", "data": {"storeHash": "abc123", "accessToken": SECRET}},
        headers=isv.headers,
    )
    assert created.status_code == 201, created.text

    for version in ("2023-12", "2024-03", "2025-09"):
        response = await client.get(url(user_id, version), headers=isv.headers)
        assert response.status_code == 200
        assert response.json() == {"data": [BIGCOMMERCE | {"connected": True}]}
        assert SECRET not in response.text and "abc123" not in response.text
    assert await requirements(client, isv, "ann") == [BIGCOMMERCE | {"connected": False}]


async def test_unknown_foreign_and_other_environment_users_are_404_and_userid_is_required(
    client, isv: IsvFixture, other_isv: IsvFixture
) -> None:
    user_id, _ = await new_user(client, isv)
    theirs, _ = await new_user(client, other_isv, "theirs")
    prod_id = (
        await client.post("/2023-12/users", json={"username": "p"}, headers=isv.production_headers)
    ).json()["userId"]

    for headers, user in (
        (isv.headers, "nobody"),
        (isv.headers, theirs),
        (isv.headers, prod_id),
        (isv.production_headers, user_id),
        (isv.production_headers, "gregg"),
    ):
        response = await client.get(url(user), headers=headers)
        assert response.status_code == 404, (user, response.text)
        assert response.json() == {"message": "User not found", "code": "user_not_found"}
    assert (await client.get(url(prod_id), headers=isv.production_headers)).status_code == 200

    for missing in (url(None), "/2023-12/credentials?userId="):
        response = await client.get(missing, headers=isv.headers)
        assert (response.status_code, response.json()["code"]) == (422, "user_id_required")
    assert (await client.get(url(user_id))).status_code == 401

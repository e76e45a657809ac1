"""ISV API: ``GET /apps``, the connector catalogue, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import yaml

from install_service.app import PACKAGE_DIR
from tests.conftest import IsvFixture
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import has_sentence
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")
# The help the modal shows under each BigCommerce field, as catalog/apps/bigcommerce.yaml says it.
BIGCOMMERCE_HELP = [
    field["help"]
    for field in yaml.safe_load(
        (PACKAGE_DIR / "catalog" / "apps" / "bigcommerce.yaml").read_text()
    )["fields"]
]


async def catalogue(client, isv: IsvFixture, version: str = "2023-12") -> dict[str, dict]:
    response = await client.get(f"/{version}/apps", headers=isv.headers)
    assert response.status_code == 200, response.text
    return {entry["app"]: entry for entry in response.json()["data"]}


async def test_every_app_is_listed_with_what_a_credential_needs(client, isv: IsvFixture) -> None:
    apps = await catalogue(client, isv)

    assert list(apps) == ["bigcommerce", "netsuite", "shopify", "sql"]
    assert apps["bigcommerce"] == {
        "app": "bigcommerce",
        "name": "BigCommerce",
        "icon": "http://testserver.local/static/icons/bigcommerce.svg",
        "authType": "apiKey",
        "fields": [
            {
                "name": "storeHash",
                "label": "Store hash",
                "type": "string",
                "required": True,
                "secret": False,
                "help": BIGCOMMERCE_HELP[0],
            },
            {
                "name": "accessToken",
                "label": "Access token",
                "type": "string",
                "required": True,
                "secret": True,
                "help": BIGCOMMERCE_HELP[1],
            },
        ],
    }
    assert all(has_sentence(help_text) for help_text in BIGCOMMERCE_HELP)
    assert apps["netsuite"]["authType"] == "tokenBasedAuth"
    assert [(f["name"], f["secret"]) for f in apps["netsuite"]["fields"]] == [
        ("accountId", False),
        ("consumerKey", True),
        ("consumerSecret", True),
        ("tokenId", True),
        ("tokenSecret", True),
    ]
    assert [f["name"] for f in apps["shopify"]["fields"]] == ["shop", "accessToken"]
    assert (apps["sql"]["name"], apps["sql"]["authType"]) == ("SQL database", "connectionString")
    assert [(f["name"], f["label"], f["secret"]) for f in apps["sql"]["fields"]] == [
        ("url", "Database URL", True)
    ]
    assert await catalogue(client, isv, "2025-09") == apps


async def test_icons_are_absolute_urls_that_the_service_serves(client, isv: IsvFixture) -> None:
    for entry in (await catalogue(client, isv)).values():
        assert entry["icon"].startswith("http://testserver.local/static/icons/")
        icon = await client.get(entry["icon"])
        assert icon.status_code == 200 and "svg" in icon.headers["content-type"]


async def test_the_listed_fields_are_what_creating_a_credential_takes(
    client, isv: IsvFixture, bigcommerce: FakeBigCommerce
) -> None:
    await new_user(client, isv)
    fields = (await catalogue(client, isv))["bigcommerce"]["fields"]
    examples = {"storeHash": "abc123", "accessToken": "bc-token"}

    data = {f["name"]: examples[f["name"]] for f in fields}
    created = await client.post(
        "/2023-12/users/gregg/credentials",
        json={"app": "bigcommerce", "data": data},
        headers=isv.headers,
    )

    assert created.status_code == 201, created.text
    [call] = bigcommerce.requests
    assert call.headers["x-auth-token"] == "bc-token"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer isk_dev_wrong"}])
async def test_the_catalogue_needs_an_api_key(
    client, isv: IsvFixture, headers: dict[str, str]
) -> None:
    response = await client.get("/2023-12/apps", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"

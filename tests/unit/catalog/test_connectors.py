"""The shipped connector definitions and end-user value checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from install_service.catalog.app_definitions import load_apps
from install_service.catalog.connectors import render_template, validate_values

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_the_shipped_apps_have_their_labels() -> None:
    apps = load_apps()

    assert set(apps) == {"bigcommerce", "shopify", "netsuite", "sql"}
    labels = {key: [(f.name, f.label, f.secret) for f in app.fields] for key, app in apps.items()}
    assert labels["bigcommerce"] == [
        ("storeHash", "Store hash", False),
        ("accessToken", "Access token", True),
    ]
    assert labels["shopify"] == [
        ("shop", "Shop subdomain", False),
        ("accessToken", "Admin API access token", True),
    ]
    assert labels["netsuite"] == [
        ("accountId", "Account ID", False),
        ("consumerKey", "Consumer key", True),
        ("consumerSecret", "Consumer secret", True),
        ("tokenId", "Token ID", True),
        ("tokenSecret", "Token secret", True),
    ]
    assert labels["sql"] == [("url", "Database URL", True)]
    assert [apps[k].auth_type for k in ("bigcommerce", "shopify", "netsuite")] == [
        "apiKey",
        "apiKey",
        "tokenBasedAuth",
    ]


def test_every_field_tells_the_end_user_where_to_find_it() -> None:
    for app in load_apps().values():
        assert app.docs_url.startswith("https://")
        for spec in app.fields:
            assert spec.help, f"{app.key}.{spec.name} has no help text"


def test_icons_exist_as_static_files() -> None:
    for app in load_apps().values():
        assert app.icon == f"/static/icons/{app.key}.svg"
        svg = (REPO_ROOT / "install_service" / app.icon.lstrip("/")).read_text(encoding="utf-8")
        assert 'viewBox="0 0 48 48"' in svg


def test_load_apps_is_cached() -> None:
    assert load_apps() is load_apps()


def test_api_base_setting_and_defaults() -> None:
    apps = load_apps()

    assert apps["bigcommerce"].api_base_setting == "BIGCOMMERCE_API_BASE"
    assert apps["bigcommerce"].api_base == "https://api.bigcommerce.com"
    shopify = apps["shopify"]
    assert render_template(shopify.api_base, shopify.template_values({"shop": " acme "})) == (
        "https://acme.myshopify.com"
    )


def test_netsuite_host_and_realm_are_derived_from_the_account_id() -> None:
    netsuite = load_apps()["netsuite"]

    values = netsuite.template_values({"accountId": "1234567_sb1"})

    assert values["accountHost"] == "1234567-sb1"
    assert values["realm"] == "1234567_SB1"
    assert render_template(netsuite.api_base, values) == (
        "https://1234567-sb1.suitetalk.api.netsuite.com"
    )


def test_field_lookup_raises_key_error_for_unknown_names() -> None:
    bigcommerce = load_apps()["bigcommerce"]

    assert bigcommerce.field("storeHash").label == "Store hash"
    with pytest.raises(KeyError):
        bigcommerce.field("password")


def test_validate_values_accepts_good_values() -> None:
    bigcommerce = load_apps()["bigcommerce"]

    assert validate_values(bigcommerce, {"storeHash": "abc123", "accessToken": "tok"}) == {}


def test_validate_values_reports_missing_required_fields() -> None:
    netsuite = load_apps()["netsuite"]

    errors = validate_values(netsuite, {"accountId": "1234567", "consumerKey": "   "})

    assert set(errors) == {"consumerKey", "consumerSecret", "tokenId", "tokenSecret"}
    assert errors["consumerKey"] == "Consumer key is required."


@pytest.mark.parametrize(
    ("app_key", "values", "field"),
    [
        ("bigcommerce", {"storeHash": "ABC-123", "accessToken": "t"}, "storeHash"),
        ("bigcommerce", {"storeHash": "stores/abc", "accessToken": "t"}, "storeHash"),
        ("shopify", {"shop": "acme.myshopify.com", "accessToken": "t"}, "shop"),
        ("shopify", {"shop": "-acme", "accessToken": "t"}, "shop"),
        (
            "netsuite",
            {
                "accountId": "1234567 SB1",
                "consumerKey": "k",
                "consumerSecret": "s",
                "tokenId": "t",
                "tokenSecret": "u",
            },
            "accountId",
        ),
    ],
)
def test_validate_values_reports_pattern_mismatches(app_key, values, field) -> None:
    app = load_apps()[app_key]

    errors = validate_values(app, values)

    assert list(errors) == [field]
    assert errors[field] == app.field(field).pattern_message


def test_validate_values_strips_before_matching_and_rejects_control_characters() -> None:
    shopify = load_apps()["shopify"]

    assert validate_values(shopify, {"shop": "  acme-store ", "accessToken": "shpat_1"}) == {}
    errors = validate_values(shopify, {"shop": "acme", "accessToken": "shpat\r\nX-Evil: 1"})
    assert errors == {
        "accessToken": "Admin API access token contains characters that are not allowed."
    }

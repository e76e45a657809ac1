"""What moving from one workflow version to another asks of the end user, and which version
a user may run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from install_service.catalog.versions import (
    apps_of,
    fields_to_ask,
    input_changes,
    newest_released,
)

BIGCOMMERCE_TRIGGER = {
    "id": "t",
    "type": "appTrigger",
    "app": "bigcommerce",
    "event": "order created",
}
STREAM = {"id": "s", "type": "streamData", "config": {"url": "https://acme.example.com/a"}}
STATUS = {
    "name": "status",
    "label": "Default status",
    "type": "select",
    "required": True,
    "options": ["paid", "shipped"],
}


@dataclass
class Inputs:
    blocks: list[dict[str, Any]] = field(default_factory=lambda: [BIGCOMMERCE_TRIGGER, STREAM])
    configurable_fields: list[dict[str, Any]] = field(default_factory=lambda: [dict(STATUS)])


@dataclass
class Version:
    version: int
    status: str = "released"
    user_id: uuid.UUID | None = None


def test_same_fields_and_apps_need_nothing_even_when_blocks_change() -> None:
    changed = Inputs(
        blocks=[BIGCOMMERCE_TRIGGER, {**STREAM, "config": {"url": "https://acme.example.com/b"}}]
    )

    assert input_changes(Inputs(), changed) == []


def test_label_help_and_option_order_are_not_changes() -> None:
    relabelled = {
        **STATUS,
        "label": "Status",
        "help": "Shown on new orders",
        "options": ["shipped", "paid"],
    }

    assert input_changes(Inputs(), Inputs(configurable_fields=[relabelled])) == []


def test_a_new_field_is_named() -> None:
    region = {"name": "region", "label": "Region"}

    assert input_changes(Inputs(), Inputs(configurable_fields=[STATUS, region])) == [
        "new configurable field 'region'"
    ]


def test_a_removed_field_is_named() -> None:
    assert input_changes(Inputs(), Inputs(configurable_fields=[])) == [
        "configurable field 'status' removed"
    ]


def test_a_field_whose_stored_value_may_no_longer_fit_is_named_with_what_changed() -> None:
    changed = {**STATUS, "options": ["paid", "refunded"], "required": False}

    assert input_changes(Inputs(), Inputs(configurable_fields=[changed])) == [
        "configurable field 'status' changed (required, options)"
    ]


def test_missing_traits_mean_their_defaults() -> None:
    plain = {"name": "note", "label": "Note"}
    spelled_out = {
        "name": "note",
        "label": "Note",
        "type": "string",
        "required": True,
        "options": [],
    }

    assert (
        input_changes(
            Inputs(configurable_fields=[plain]), Inputs(configurable_fields=[spelled_out])
        )
        == []
    )


def test_a_block_on_a_new_app_needs_a_credential() -> None:
    shopify = {"id": "x", "type": "appAction", "app": "shopify"}

    assert input_changes(Inputs(), Inputs(blocks=[BIGCOMMERCE_TRIGGER, shopify])) == [
        "new app 'shopify' needs a credential"
    ]
    assert (
        input_changes(Inputs(blocks=[BIGCOMMERCE_TRIGGER, shopify]), Inputs()) == []
    )  # dropping one is fine


def test_every_difference_is_listed() -> None:
    new = Inputs(
        blocks=[{"id": "x", "type": "appAction", "app": "netsuite"}],
        configurable_fields=[{"name": "region", "label": "Region"}],
    )

    assert input_changes(Inputs(), new) == [
        "new configurable field 'region'",
        "configurable field 'status' removed",
        "new app 'netsuite' needs a credential",
    ]


def test_apps_of_lists_each_app_once_in_order() -> None:
    assert apps_of([BIGCOMMERCE_TRIGGER, STREAM, {"app": "shopify"}, {"app": "bigcommerce"}]) == [
        "bigcommerce",
        "shopify",
    ]


def test_newest_released_skips_drafts_and_other_users_versions() -> None:
    me, someone = uuid.uuid4(), uuid.uuid4()
    versions = [
        Version(1),
        Version(2),
        Version(3, "draft"),
        Version(4, user_id=someone),
        Version(5, "draft", me),
    ]

    assert newest_released(versions).version == 2
    assert newest_released(versions, me).version == 2
    assert newest_released(versions, someone).version == 4
    assert newest_released([Version(1, "draft")]) is None


def test_a_users_own_released_version_is_their_newest_until_the_isv_releases_a_later_one() -> None:
    me = uuid.uuid4()
    versions = [Version(1), Version(2, user_id=me)]

    assert newest_released(versions, me).version == 2
    assert newest_released([*versions, Version(3)], me).version == 3


def test_an_update_asks_only_for_new_or_changed_fields() -> None:
    region = {"name": "region", "label": "Region"}
    relabelled = {**STATUS, "label": "Status"}
    narrowed = {**STATUS, "options": ["paid"]}

    assert fields_to_ask(Inputs(), Inputs(configurable_fields=[relabelled, region])) == [region]
    assert fields_to_ask(Inputs(), Inputs(configurable_fields=[narrowed])) == [narrowed]
    assert fields_to_ask(None, Inputs(configurable_fields=[STATUS, region])) == [STATUS, region]

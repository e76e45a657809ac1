"""Checking a workflow's blocks: the example's blocks pass, each mistake is named by block."""

from __future__ import annotations

import pytest
import yaml

from install_service.catalog.app_actions import app_action_names
from install_service.grammar.block_specs import check_blocks
from install_service.settings import PROJECT_ROOT

KNOWN_APP_ACTIONS = app_action_names()

EVENT = {
    "id": "custom-event",
    "type": "customEvent",
    "name": "Custom Event",
    "event": "Fulfillment Updated",
    "schema": {"orderId": "String", "note": "String?"},
}
ACTION = {
    "id": "update-order-status",
    "type": "appAction",
    "name": "BigCommerce",
    "app": "bigcommerce",
    "action": "update order status",
    "mapping": {"orderId": "{{ event.orderId }}", "status": "{{ event.status }}"},
}
EVERY_KIND = [
    {
        "id": "t",
        "type": "appTrigger",
        "name": "T",
        "app": "bigcommerce",
        "event": "order created",
        "icon": "x",
    },
    {
        "id": "s",
        "type": "streamData",
        "name": "S",
        "config": {"url": "https://acme.example.com/in"},
    },
    {
        "id": "d",
        "type": "dataMapping",
        "name": "D",
        "mapping": {"total": "{{ trigger.total }}", "n": 1},
    },
    {"id": "m", "type": "math", "name": "M", "expression": "blocks.d.total * 1.2"},
    {"id": "f", "type": "filter", "name": "F", "condition": "{{ blocks.m.result > 10 }}"},
    {
        "id": "q",
        "type": "sqlDestination",
        "name": "Q",
        "table": "orders_2024",
        "mapping": {"id": "{{ trigger.id }}"},
    },
]


def _problems(*blocks: dict) -> list[str]:
    return check_blocks(list(blocks), app_actions=KNOWN_APP_ACTIONS)


def test_the_example_catalogue_blocks_pass() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml").read_text())
    for workflow in document["integrations"][0]["workflows"]:
        for version in workflow["versions"]:
            assert check_blocks(version["blocks"], app_actions=KNOWN_APP_ACTIONS) == []


def test_every_block_kind_with_its_keys_passes() -> None:
    assert _problems(*EVERY_KIND) == []
    assert _problems(EVENT, ACTION) == []
    assert check_blocks([], app_actions={}) == []


def test_an_unknown_action_lists_the_apps_actions() -> None:
    assert _problems(EVENT, {**ACTION, "action": "ship it"}) == [
        'block "update-order-status": unknown action "ship it" for bigcommerce'
        " (known: get order, update order status)"
    ]


def test_an_app_without_actions_is_named() -> None:
    assert _problems(EVENT, {**ACTION, "app": "shopify"}) == [
        'block "update-order-status": app shopify has no actions'
    ]


def test_an_unknown_type_lists_the_known_types() -> None:
    (problem,) = _problems(EVENT, {"id": "wait", "type": "delay", "name": "Wait"})

    assert problem.startswith(
        "block \"wait\": unknown type 'delay' (known: customEvent, appTrigger,"
    )
    assert "sqlDestination" in problem


def test_the_first_block_and_only_the_first_is_a_trigger() -> None:
    assert _problems(ACTION, EVENT) == [
        'block "update-order-status": the first block must be a trigger'
        " (customEvent or appTrigger), not appAction",
        'block "custom-event": the customEvent trigger can only be the first block',
    ]


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            {**EVENT, "schema": {"orderId": "Strng"}},
            "schema field 'orderId' has unknown type 'Strng'",
        ),
        ({k: v for k, v in EVENT.items() if k != "schema"}, "missing schema"),
        ({**EVENT, "event": ""}, "event must be non-empty text"),
        ({**EVENT, "name": None}, "name must be non-empty text"),
        ({**EVENT, "config": "x"}, "config must be an object"),
    ],
    ids=["schema-type", "no-schema", "empty-event", "no-name", "config"],
)
def test_trigger_mistakes_are_named(block: dict, problem: str) -> None:
    (found,) = _problems(block)
    assert found.startswith('block "custom-event": ') and problem in found


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            {**ACTION, "mapping": {"status": "{{ $lookup( }}"}},
            'mapping.status: expected ) before end of expression in "{{ $lookup( }}"',
        ),
        ({**ACTION, "mapping": "{{ event }}"}, "mapping must be an object of templates"),
        ({k: v for k, v in ACTION.items() if k != "mapping"}, "missing mapping"),
        ({k: v for k, v in ACTION.items() if k != "action"}, "missing action"),
        (
            {**EVERY_KIND[1], "config": {"url": "ftp://x.example"}},
            "config.url must be an http or https URL",
        ),
        ({**EVERY_KIND[1], "config": {}}, "config.url must be an http or https URL"),
        (
            {**EVERY_KIND[1], "mapping": {"a": "{{ 1 + }}"}},
            "mapping.a: unexpected end of expression",
        ),
        (
            {**EVERY_KIND[3], "expression": "$sum("},
            "expression: expected ) before end of expression",
        ),
        ({**EVERY_KIND[4], "condition": "{{ a"}, "condition: unterminated {{"),
        ({**EVERY_KIND[4], "condition": None}, "condition must be non-empty text"),
        (
            {**EVERY_KIND[5], "table": "orders; drop table x"},
            "table must be a name of letters, digits and _",
        ),
        ({**EVERY_KIND[5], "config": {"url": ""}}, "config.url must be a database URL"),
    ],
    ids=[
        "syntax",
        "not-object",
        "no-mapping",
        "no-action",
        "ftp",
        "no-url",
        "stream-mapping",
        "math",
        "filter",
        "no-condition",
        "table",
        "sql-url",
    ],
)
def test_step_mistakes_are_named(block: dict, problem: str) -> None:
    (found,) = _problems(EVERY_KIND[0], block)
    assert found.startswith(f'block "{block["id"]}": ') and problem in found, found


def test_ids_are_unique_and_blocks_without_an_id_are_named_by_position() -> None:
    problems = _problems(
        EVENT, {**ACTION, "id": "custom-event"}, {"type": "dataMapping", "name": "D", "mapping": {}}
    )

    assert problems == [
        'block "custom-event": the id is used by another block',
        "block 3: id must be non-empty text",
    ]


def test_blocks_that_are_not_objects_are_refused() -> None:
    assert check_blocks("nope", app_actions={}) == ["blocks must be a list of blocks"]
    assert check_blocks([EVENT, 5], app_actions={}) == [
        "block 2: must be an object with id, type and name"
    ]

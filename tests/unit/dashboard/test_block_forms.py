"""The workflow editor's block form: each Block type's fields, a form to a block the
grammar accepts and back, and the message for each field that does not parse."""

from __future__ import annotations

import json

import pytest

from install_service.catalog.app_actions import app_action_names
from install_service.dashboard import block_forms
from install_service.grammar.block_specs import check_blocks

TRIGGER = {
    "id": "custom-event",
    "type": "customEvent",
    "name": "Custom Event",
    "event": "E",
    "schema": {},
}
FORMS = {
    "math": {"name": "Tax", "expression": "event.total * 0.05"},
    "dataMapping": {"name": "Map", "mapping": '{"total": "{{ event.total }}"}'},
    "filter": {"name": "Only fulfilled", "condition": 'event.status = "FULFILLED"'},
    "streamData": {"name": "Send", "url": "https://acme.example.com/in", "mapping": ""},
    "appAction": {
        "name": "Ship",
        "action": "update order status",
        "mapping": '{"orderId": "{{ event.id }}", "status": "Shipped"}',
    },
    "sqlDestination": {"name": "Rows", "table": "orders", "mapping": '{"id": "{{ event.id }}"}'},
}


def test_the_block_type_select_offers_the_six_types_in_order() -> None:
    assert [t.label for t in block_forms.BLOCK_TYPES] == [
        "Math",
        "Data Mapping",
        "Filter",
        "Stream Data",
        "App action",
        "SQL destination",
    ]
    assert [f.label for f in block_forms.block_type("math").fields] == ["Expression"]
    assert block_forms.block_type("no such type").key == "math"


@pytest.mark.parametrize("kind", list(FORMS))
def test_each_type_makes_a_block_the_grammar_accepts_and_reads_back(kind: str) -> None:
    values = {"type": kind, **FORMS[kind]}
    spec = block_forms.block_type(kind)
    assert block_forms.form_errors(spec, values, "bigcommerce") == {}

    block = block_forms.to_block(spec, values, "bigcommerce", "b", {})

    assert check_blocks([TRIGGER, block], app_actions=app_action_names()) == []
    back = block_forms.to_values(block)
    assert back["type"] == kind and back["name"] == values["name"]
    for name, typed in FORMS[kind].items():
        if name == "mapping" and typed:
            assert json.loads(back["mapping"]) == json.loads(typed)
        elif name != "mapping":
            assert back[name] == typed


def test_each_field_that_does_not_parse_gets_its_message() -> None:
    math = block_forms.block_type("math")
    errors = block_forms.form_errors(
        math, {"type": "math", "name": " ", "expression": "1 +"}, "bigcommerce"
    )
    assert errors["name"] == "Enter a name for the block."
    assert errors["expression"].startswith("This expression does not parse")

    mapping = block_forms.block_type("dataMapping")
    assert block_forms.form_errors(mapping, {"name": "M", "mapping": "[1]"}, "x") == {
        "mapping": "The mapping must be a JSON object."
    }
    assert block_forms.form_errors(mapping, {"name": "M", "mapping": "{"}, "x")[
        "mapping"
    ].startswith("This is not JSON")
    assert "mapping.total" in block_forms.field_problem("mapping", '{"total": "{{ 1 + }}"}')
    action = block_forms.block_type("appAction")
    assert block_forms.form_errors(
        action, {"name": "A", "action": "drop tables", "mapping": "{}"}, "bigcommerce"
    ) == {"action": "Choose one of the app's actions."}
    assert block_forms.field_problem("expression", "event.total * 2") is None
    assert block_forms.field_problem("unknown", "{{") is None


def test_editing_keeps_what_the_form_does_not_show() -> None:
    old = {
        "id": "send",
        "type": "streamData",
        "name": "Send",
        "icon": "/x.svg",
        "config": {"url": "https://a.example/", "timeoutS": 5},
    }
    values = {"type": "streamData", "name": "Send it", "url": "https://b.example/", "mapping": ""}

    block = block_forms.to_block(
        block_forms.block_type("streamData"), values, "bigcommerce", "send", old
    )

    assert block == {
        "id": "send",
        "type": "streamData",
        "name": "Send it",
        "icon": "/x.svg",
        "config": {"url": "https://b.example/", "timeoutS": 5},
    }


def test_new_block_ids_come_from_the_name_and_never_repeat() -> None:
    assert block_forms.new_block_id("Tax rate 5%", set()) == "tax-rate-5"
    assert block_forms.new_block_id("Tax", {"tax", "tax-2"}) == "tax-3"
    assert block_forms.new_block_id("!!!", set()) == "block"

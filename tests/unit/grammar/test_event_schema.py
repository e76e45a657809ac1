"""Custom-event schemas: read from the block, every problem with an event's data named."""

from __future__ import annotations

import pytest

from install_service.grammar.event_schema import FieldError, SchemaError, parse_schema

ORDER = parse_schema(
    {
        "orderId": "String",
        "total": "Number",
        "paid": "Boolean",
        "note": "String?",
        "customer": "Object",
        "items": "Array?",
    }
)
VALID = {"orderId": "42", "total": 9.5, "paid": False, "customer": {"id": 1}}


def test_the_api_shows_the_schema_as_written() -> None:
    assert ORDER.as_json() == {
        "orderId": "String",
        "total": "Number",
        "paid": "Boolean",
        "note": "String?",
        "customer": "Object",
        "items": "Array?",
    }


def test_data_that_fits_has_no_problems_and_extra_fields_pass() -> None:
    assert ORDER.validate(VALID) == []
    assert ORDER.validate({**VALID, "total": 3, "note": None, "items": [], "extra": "x"}) == []


def test_every_problem_is_listed_by_field() -> None:
    data = {"total": True, "paid": "yes", "note": 5, "customer": None, "items": {"a": 1}}

    assert ORDER.validate(data) == [
        FieldError("orderId", "orderId is required"),
        FieldError("total", "total must be a Number, not a Boolean"),
        FieldError("paid", "paid must be a Boolean, not a String"),
        FieldError("note", "note must be a String, not a Number"),
        FieldError("customer", "customer is required"),
        FieldError("items", "items must be an Array, not an Object"),
    ]


@pytest.mark.parametrize(("data", "shown"), [([1], "an Array"), ("x", "a String"), (None, "null")])
def test_data_that_is_not_an_object_is_one_problem(data: object, shown: str) -> None:
    assert ORDER.validate(data) == [FieldError("data", f"data must be an Object, not {shown}")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["orderId"], "schema must be a mapping"),
        ({"": "String"}, "empty or non-text field name"),
        (
            {"orderId": "Strng"},
            "unknown type 'Strng' (accepted: String, Number, Boolean, Object, Array",
        ),
        ({"orderId": None}, "unknown type None"),
        ({"orderId": "String??"}, "unknown type 'String??'"),
    ],
    ids=["list", "empty-name", "typo", "null", "double-optional"],
)
def test_unreadable_schemas_are_refused_with_a_reason(raw: object, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema(raw)

    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)

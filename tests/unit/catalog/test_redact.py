"""Secret values in a connection test's reason: the value goes, the words around it stay."""

from __future__ import annotations

import pytest

from install_service.catalog.connection_test import redact

SECRET = "tok_5ecr3t_value"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (f"Token {SECRET} lacks scope", "Token ••• lacks scope"),
        (f'{{"token": "{SECRET}"}}', '{"token": "•••"}'),
        (f"GET /x?access_token={SECRET}&a=1", "GET /x?access_token=•••&a=1"),
        (f"Bearer%20{SECRET}", "Bearer%20•••"),
        (f"{SECRET}. Try again", "•••. Try again"),
    ],
)
def test_the_exact_value_is_replaced_where_it_stands(reason: str, expected: str) -> None:
    assert redact(reason, [SECRET]) == expected


def test_a_value_entered_with_spaces_or_percent_encoded_is_replaced() -> None:
    secret = "p@ss word/1"
    reason = "Refused p@ss word/1 and p%40ss%20word%2F1"
    assert redact(reason, [f"  {secret} "]) == "Refused ••• and •••"


@pytest.mark.parametrize("short", ["a", "id", "Token", "  401 "])
def test_values_shorter_than_six_characters_leave_the_message_alone(short: str) -> None:
    reason = "BigCommerce said: 401 Unauthorized – Token is invalid"
    assert redact(reason, [short]) == reason


def test_a_value_inside_a_longer_word_does_not_mangle_that_word() -> None:
    reason = "Unauthorized: unauthorizedness of abc123456 (abc123 expected)"
    assert redact(reason, ["Unauthorized", "abc123"]) == (
        "•••: unauthorizedness of abc123456 (••• expected)"
    )

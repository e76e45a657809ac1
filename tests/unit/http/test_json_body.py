"""What ``json_body_problem`` refuses, and what it lets through untouched."""

from __future__ import annotations

import pytest

from install_service.http.json_body import MAX_DEPTH, json_body_problem, json_depth


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"1", 0),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{", "b": "\\"[["}', 1),  # brackets inside strings do not count
        (b"[" * 10_000 + b"]" * 10_000, MAX_DEPTH + 1),  # stops counting past the limit
    ],
)
def test_depth_counts_containers_not_brackets_in_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (nested(MAX_DEPTH + 1), "nested deeper than 64"),
        (b"[" * 100_000, "nested deeper than 64"),
        (b'{"a": "x\\u0000y"}', "NUL"),
        (b'{"a\\u0000": 1}', "NUL"),
        (b'{"a": "\\ud800"}', "Malformed JSON"),
        (b'{"a": "\\udc00"}', "surrogate"),
        (b'{"a": "\xed\xa0\x80"}', "UTF-8"),
        (b'{"a": 1,}', "trailing comma"),
        (b"[1,]", "trailing comma"),
        (b"42", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"[]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body: bytes, words: str) -> None:
    problem = json_body_problem(body)
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    "body",
    [
        nested(MAX_DEPTH),
        b'{"username": "gregg", "fullName": "Gr\xc3\xa9gg \\ud83d\\ude00"}',
        b'{"path": "C:\\\\u0000 is text, not NUL"}',  # an escaped backslash, then "u0000"
        b'{"users": [{"username": "a"}, {"username": "b"}]}',
    ],
)
def test_good_bodies_pass(body: bytes) -> None:
    assert json_body_problem(body) is None

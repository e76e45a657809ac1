"""``?limit=`` and opaque cursors (install_service.http.pagination)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from install_service.errors import InvalidInput
from install_service.http.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    encode_cursor,
    page_size,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, DEFAULT_LIMIT),
        ("", DEFAULT_LIMIT),
        ("  ", DEFAULT_LIMIT),
        ("1", 1),
        ("1000", MAX_LIMIT),
        (" 7 ", 7),
    ],
)
def test_page_size_defaults_when_absent_or_empty(raw: str | None, expected: int) -> None:
    assert page_size(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "1001", "abc", "2.5", "1e3"])
def test_page_size_out_of_range_or_not_a_whole_number_is_invalid(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        page_size(raw)
    assert caught.value.code == "invalid_limit" and "1000" in caught.value.message


def test_a_cursor_round_trips_to_the_same_instant_and_id() -> None:
    at, row_id = datetime(2026, 11, 20, 23, 13, 41, 786123, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor(at, row_id)
    assert "=" not in cursor and "|" not in cursor and str(row_id) not in cursor
    assert decode_cursor(cursor) == (at, row_id)
    elsewhere = at.astimezone(timezone(timedelta(hours=-5)))
    assert decode_cursor(encode_cursor(elsewhere, row_id)) == (at, row_id)


@pytest.mark.parametrize("cursor", [None, "", " "])
def test_no_cursor_means_the_first_page(cursor: str | None) -> None:
    assert decode_cursor(cursor) is None


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "not base64!",
        _b64("no-separator"),
        _b64("2026-11-20T23:13:41|zz"),
        _b64(f"yesterday|{uuid.uuid4().hex}"),
        _b64(f"2026-11-20T23:13:41|{uuid.uuid4().hex}"),
        _b64("a|b|c"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
    ids=[
        "symbols",
        "spaces",
        "no-separator",
        "bad-id",
        "bad-time",
        "naive-time",
        "three-parts",
        "not-utf8",
    ],
)
def test_a_cursor_we_did_not_make_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor)
    assert caught.value.code == "invalid_cursor"

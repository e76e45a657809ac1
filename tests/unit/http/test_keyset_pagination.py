"""``http.pagination``: the cursors and 422s of every list route."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from install_service import error_codes
from install_service.errors import InvalidInput
from install_service.http import pagination


def test_a_cursor_round_trips() -> None:
    at, row_id = datetime(2026, 12, 4, 2, 30, 1, 123456, tzinfo=UTC), uuid.uuid4()
    cursor = pagination.encode_cursor(at, row_id)
    assert pagination.decode_cursor(cursor) == (at, row_id)
    assert pagination.decode_cursor(None) is None and pagination.decode_cursor(" ") is None


@pytest.mark.parametrize("cursor", ["bm90LWEtY3Vyc29y", "%%%", "MjAyNnwxMjM"])
def test_a_cursor_it_did_not_make_is_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pagination.decode_cursor(cursor)
    assert caught.value.code == error_codes.INVALID_CURSOR


@pytest.mark.parametrize("raw", ["0", "1001", "abc", "2.5"])
def test_a_limit_out_of_range_is_invalid_limit(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        pagination.page_size(raw)
    assert caught.value.code == error_codes.INVALID_LIMIT


def test_limit_defaults_to_100() -> None:
    assert pagination.page_size(None) == pagination.page_size("") == 100

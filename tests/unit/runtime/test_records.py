"""What execution records keep of a block's output: redacted, capped, in API time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from install_service.runtime.records import OUTPUT_LIMIT_BYTES, iso, redact, stored_output


def test_keys_that_look_like_secrets_are_redacted_at_any_depth() -> None:
    answer = {
        "id": 101,
        "access_token": "bc-123",
        "customer": {"apiKey": "k", "Authorization": "Bearer x", "name": "Gregg"},
        "items": [{"password": "p", "sku": "A"}],
    }
    assert redact(answer) == {
        "id": 101,
        "access_token": "[redacted]",
        "customer": {"apiKey": "[redacted]", "Authorization": "[redacted]", "name": "Gregg"},
        "items": [{"password": "[redacted]", "sku": "A"}],
    }


def test_a_large_output_is_replaced_by_its_size() -> None:
    big = {"blob": "x" * (OUTPUT_LIMIT_BYTES + 1)}
    kept = stored_output(big)
    assert kept["truncated"] is True and kept["bytes"] > OUTPUT_LIMIT_BYTES
    assert stored_output({"id": 1}) == {"id": 1}


def test_timestamps_are_utc_with_milliseconds() -> None:
    moment = datetime(2026, 12, 3, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert iso(moment) == "2026-12-03T10:00:00.123Z"
    assert iso(None) is None
    assert iso(datetime(2026, 1, 1, tzinfo=UTC)).endswith("Z")

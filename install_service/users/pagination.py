"""Keyset pagination of lists: ``?limit=`` and an opaque ``cursor`` (spec, "Conventions").

A cursor names the last row of a page by its ``(created_at, id)``; the next page starts
after it, so rows created meanwhile neither repeat nor shift a page.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

from install_service import error_codes
from install_service.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page_size(raw: str | None) -> int:
    """``?limit=`` as an int from 1 to ``MAX_LIMIT``; ``DEFAULT_LIMIT`` when absent or empty.

    Raises:
        InvalidInput: not a whole number in that range (422).
    """
    if raw is None or not raw.strip():
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be a whole number from 1 to {MAX_LIMIT}", code=error_codes.INVALID_LIMIT
        )
    return limit


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    """The opaque cursor after the row ``(created_at, row_id)``: URL-safe base64, no padding."""
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The ``(created_at, id)`` a cursor names; None for no or an empty cursor.

    Raises:
        InvalidInput: a cursor this service did not make (422).
    """
    if cursor is None or not cursor.strip():
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4)).decode()
        created_at, row_id = raw.split("|")
        position = datetime.fromisoformat(created_at), uuid.UUID(hex=row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(
            "cursor is not one this service returned", code=error_codes.INVALID_CURSOR
        ) from exc
    if position[0].tzinfo is None:
        raise InvalidInput(
            "cursor is not one this service returned", code=error_codes.INVALID_CURSOR
        )
    return position

"""Keyset pagination of lists: ``?limit=`` and an opaque ``cursor`` (spec, "Conventions").

A cursor names the last row of a page by its ``(created_at, id)``; the next page starts
after it, so rows created meanwhile neither repeat nor shift a page. Every list route uses
it (users, installations, versions, deliveries, logs): URL-safe base64, no padding, of
``<created_at ISO 8601>|<id hex>``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, and_, or_

from install_service import error_codes
from install_service.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class Row(Protocol):
    created_at: datetime
    id: uuid.UUID


R = TypeVar("R", bound=Row)


def page_size(raw: str | None) -> int:
    """``?limit=`` as an int from 1 to ``MAX_LIMIT``; ``DEFAULT_LIMIT`` when absent or empty.

    Raises:
        InvalidInput: ``invalid_limit`` (422), not a whole number in that range.
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
    """The opaque cursor after the row ``(created_at, row_id)``."""
    raw = f"{created_at.astimezone(UTC).isoformat()}|{row_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The ``(created_at, id)`` a cursor names; None for no or an empty cursor.

    Raises:
        InvalidInput: ``invalid_cursor`` (422), a cursor this service did not make.
    """
    if cursor is None or not cursor.strip():
        return None
    refused = InvalidInput(
        "cursor is not one this service returned", code=error_codes.INVALID_CURSOR
    )
    try:
        raw = base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4)).decode()
        created_at, row_id = raw.split("|")
        position = datetime.fromisoformat(created_at), uuid.UUID(hex=row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise refused from exc
    if position[0].tzinfo is None:
        raise refused
    return position


def keyset(
    query: Select[Any], model: Any, cursor: str | None, limit: int, *, newest_first: bool = False
) -> Select[Any]:
    """``query`` ordered by ``model``'s ``(created_at, id)`` (descending with
    ``newest_first``), narrowed to the rows after ``cursor``, fetching ``limit + 1`` rows
    (the extra one tells ``page`` whether another page follows).

    Raises:
        InvalidInput: ``invalid_cursor`` (422).
    """
    if (after := decode_cursor(cursor)) is not None:
        created_at, row_id = after
        if newest_first:
            query = query.where(
                or_(
                    model.created_at < created_at,
                    and_(model.created_at == created_at, model.id < row_id),
                )
            )
        else:
            query = query.where(
                or_(
                    model.created_at > created_at,
                    and_(model.created_at == created_at, model.id > row_id),
                )
            )
    order = (
        (model.created_at.desc(), model.id.desc())
        if newest_first
        else (model.created_at.asc(), model.id.asc())
    )
    return query.order_by(*order).limit(limit + 1)


def page(rows: Sequence[R], limit: int) -> tuple[list[R], str | None]:
    """The first ``limit`` of the ``limit + 1`` rows ``keyset`` fetched, and the cursor of
    the next page (None when this is the last)."""
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    return list(rows[:limit]), encode_cursor(last.created_at, last.id)

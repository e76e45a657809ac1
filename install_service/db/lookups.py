"""One way to say "the row with this id, or 404", for every domain.

The API's ids are UUID strings (``ids.parse_id``); a malformed id, an unknown one and one
that belongs to another ISV or environment all answer the same 404, so an id never tells
a caller whether it exists elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.errors import NotFound
from install_service.ids import parse_id

T = TypeVar("T")


async def get_or_404(
    session: AsyncSession,
    raw_id: str | None,
    query: Callable[[uuid.UUID], Select[tuple[T]]],
    not_found: NotFound,
) -> T:
    """The row ``query(id)`` selects for the UUID in ``raw_id``.

    ``query`` builds the scoped statement (the ISV, environment or user conditions
    included), e.g. ``lambda id: select(Link).where(Link.id == id, Link.isv_id == isv_id)``.

    Raises:
        NotFound: ``not_found``, when ``raw_id`` is not a UUID or selects nothing.
    """
    parsed = parse_id(raw_id)
    row = await session.scalar(query(parsed)) if parsed is not None else None
    if row is None:
        raise not_found
    return row

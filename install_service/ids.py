"""Opaque ids: the API's ids are UUID strings; anything else simply matches nothing."""

from __future__ import annotations

import uuid


def parse_id(raw: str | None) -> uuid.UUID | None:
    """The UUID in ``raw``, or None when it is not one (callers then answer 404)."""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None

"""Shapes of the custom-event routes (spec "Workflow runtime", Alloy "Custom events")."""

from __future__ import annotations

from typing import Any

import msgspec


class EventListing(msgspec.Struct):
    event: str
    schema: dict[str, str]  # {field: "String" | "Number" | ... , "?" suffix: optional}


class EventList(msgspec.Struct):
    data: list[EventListing]


class RunEvent(msgspec.Struct, rename="camel"):
    """``POST /run/event`` body; ``eventId`` is an idempotency key like the header."""

    event: str
    user_id: str
    data: Any = msgspec.field(default_factory=dict)
    event_id: str | None = None


class RunEventResult(msgspec.Struct, rename="camel"):
    success: bool
    execution_ids: list[str]

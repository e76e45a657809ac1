"""Shapes of the install-link API."""

from __future__ import annotations

from datetime import datetime

import msgspec


class InstallUrl(msgspec.Struct, rename="camel"):
    url: str
    link_id: str
    expires_at: datetime


class Link(msgspec.Struct, rename="camel"):
    link_id: str
    integration_id: str
    status: str  # pending | opened | completed | expired | revoked
    created_at: datetime
    expires_at: datetime
    first_opened_at: datetime | None
    completed_at: datetime | None
    revoked_at: datetime | None


class LinkList(msgspec.Struct):
    data: list[Link]

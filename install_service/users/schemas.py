"""Request and response bodies of the users API (Alloy API reference shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"\S")]


class CreateUser(msgspec.Struct, rename="camel"):
    username: Username
    full_name: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class CreatedUser(msgspec.Struct, rename="camel"):
    user_id: str


class User(msgspec.Struct, rename="camel"):
    user_id: str
    username: str
    full_name: str | None
    created_at: datetime


class UserList(msgspec.Struct, rename="camel", omit_defaults=True):
    data: list[User]
    next_cursor: str | None = None


class UserToken(msgspec.Struct):
    token: str

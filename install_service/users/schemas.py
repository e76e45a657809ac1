"""Request and response bodies of the users API (Alloy API reference shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"\S")]
FullName = Annotated[str, msgspec.Meta(max_length=255)]
BATCH_MAX = 1000  # users per POST /users/batch


class CreateUser(msgspec.Struct, rename="camel"):
    username: Username
    full_name: FullName | None = None


class CreateUsers(msgspec.Struct, rename="camel"):
    """``{"users": [{"username", "fullName"?}, ...]}``: 1 to ``BATCH_MAX`` users."""

    users: Annotated[list[CreateUser], msgspec.Meta(min_length=1, max_length=BATCH_MAX)]


class UpdateUser(msgspec.Struct, rename="camel"):
    """Absent fields stay as they are; ``"fullName": null`` clears the full name."""

    username: Username | msgspec.UnsetType = msgspec.UNSET
    full_name: FullName | msgspec.UnsetType | None = msgspec.UNSET


class CreatedUser(msgspec.Struct, rename="camel"):
    user_id: str


class BatchCreated(msgspec.Struct, rename="camel"):
    user_id: str
    username: str


class BatchError(msgspec.Struct, rename="camel"):
    username: str
    message: str


class BatchResult(msgspec.Struct, rename="camel"):
    """201 of POST /users/batch: the users created, and each username that was not."""

    data: list[BatchCreated]
    errors: list[BatchError]


class User(msgspec.Struct, rename="camel"):
    user_id: str
    username: str
    full_name: str | None
    created_at: datetime


class UserList(msgspec.Struct, rename="camel"):
    """One page of users; ``nextCursor`` is null on the last page."""

    data: list[User]
    next_cursor: str | None = None


class UserToken(msgspec.Struct):
    token: str

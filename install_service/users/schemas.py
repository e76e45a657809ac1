"""Request and response bodies of the users API (Alloy API reference shapes)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import msgspec

USERNAME_MAX_CHARS = 255
FULL_NAME_MAX_CHARS = 255
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=USERNAME_MAX_CHARS, pattern=r"\S")]
FullName = Annotated[str, msgspec.Meta(max_length=FULL_NAME_MAX_CHARS)]
# No name may hold C0 controls (NUL included), DEL, C1 controls, the line and paragraph
# separators, or the bidi embeddings, overrides and isolates that make text display as
# something else (U+202A-U+202E, U+2066-U+2069; "Trojan Source", CVE-2021-42574).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _check_names(username: object, full_name: object) -> None:
    """Raises ValueError (msgspec answers it as a validation error: 422) for a name with a
    forbidden character."""
    for field, value in (("username", username), ("fullName", full_name)):
        if isinstance(value, str) and (found := _FORBIDDEN.search(value)):
            raise ValueError(
                f"{field} may not contain control or bidi characters (U+{ord(found[0]):04X})"
            )


BATCH_MAX = 1000  # users per POST /users/batch


class CreateUser(msgspec.Struct, rename="camel"):
    username: Username
    full_name: FullName | None = None

    def __post_init__(self) -> None:
        _check_names(self.username, self.full_name)


class CreateUsers(msgspec.Struct, rename="camel"):
    """``{"users": [{"username", "fullName"?}, ...]}``: 1 to ``BATCH_MAX`` users."""

    users: Annotated[list[CreateUser], msgspec.Meta(min_length=1, max_length=BATCH_MAX)]


class UpdateUser(msgspec.Struct, rename="camel"):
    """Absent fields stay as they are; ``"fullName": null`` clears the full name."""

    username: Username | msgspec.UnsetType = msgspec.UNSET
    full_name: FullName | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        _check_names(self.username, self.full_name)


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

"""The connector catalogue as ``GET /apps`` returns it."""

from __future__ import annotations

from typing import Literal

import msgspec


class AppField(msgspec.Struct):
    """One value a credential for the app needs (never a value itself)."""

    name: str  # the key to use in ``POST /users/{userId}/credentials`` ``data``
    label: str
    type: Literal["string"]  # every credential value is a string
    required: bool
    secret: bool  # show it as a password input; it is stored encrypted and never returned
    help: str  # where the end user finds the value


class AppListing(msgspec.Struct, rename="camel"):
    app: str
    name: str
    icon: str  # absolute URL
    auth_type: str  # "apiKey" | "tokenBasedAuth"
    fields: list[AppField]


class AppList(msgspec.Struct):
    data: list[AppListing]

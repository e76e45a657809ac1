"""Request and response bodies of the credentials API (spec, "ISV REST API")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class CreateCredential(msgspec.Struct, forbid_unknown_fields=True):
    """``app`` is a key from ``GET /apps``; ``data`` maps that app's field names to values."""

    app: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    data: dict[str, str]


class CreatedCredential(msgspec.Struct, rename="camel"):
    credential_id: str


class CredentialListing(msgspec.Struct, rename="camel"):
    """A credential as the ISV sees it: what it is for, never what it holds."""

    credential_id: str
    app: str
    name: str
    created_at: datetime


class CredentialList(msgspec.Struct):
    data: list[CredentialListing]


class RequiredField(msgspec.Struct):
    """A value the end user must give to connect the app; its description, never a value."""

    name: str  # the key in ``POST /users/{userId}/credentials`` ``data``
    label: str
    secret: bool
    required: bool


class CredentialRequirement(msgspec.Struct, rename="camel"):
    """An app one of the ISV's integrations uses, and whether the user has connected it."""

    app: str
    name: str
    auth_type: str  # "apiKey" | "tokenBasedAuth"
    fields: list[RequiredField]
    connected: bool


class CredentialRequirementList(msgspec.Struct):
    data: list[CredentialRequirement]

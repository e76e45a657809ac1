"""The schema of a custom event: ``{fieldName: Type}`` from a ``customEvent`` block, where
Type is ``String``, ``Number``, ``Boolean``, ``Object`` or ``Array`` and a trailing ``?``
makes the field optional (``"note": "String?"``).

Validation lists every problem at once. ``null`` counts as missing for a required field and
is allowed for an optional one; fields the schema does not name pass through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

# JSON type name -> Python types that msgspec/json decode it to (bool is not a Number)
TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "Number": (int, float),
    "Boolean": (bool,),
    "Object": (dict,),
    "Array": (list,),
}
OPTIONAL = "?"


class SchemaError(ValueError):
    """A schema that cannot be read; the message says what and where."""


class FieldError(msgspec.Struct, frozen=True):
    """One problem with an event's data: ``field`` is the field name (``"data"`` when the
    data is not an object)."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: str  # a key of TYPES
    required: bool = True


@dataclass(frozen=True, slots=True)
class EventSchema:
    fields: tuple[FieldSpec, ...]

    def validate(self, data: Any) -> list[FieldError]:
        """Every problem with ``data`` (an event's ``data`` object); empty when it fits."""
        if not isinstance(data, Mapping):
            return [FieldError("data", f"data must be an Object, not {json_type(data)}")]
        problems = []
        for spec in self.fields:
            value = data.get(spec.name)
            if value is None:
                if spec.required:
                    problems.append(FieldError(spec.name, f"{spec.name} is required"))
            elif not _is(value, spec.type):
                problems.append(
                    FieldError(
                        spec.name,
                        f"{spec.name} must be {_article(spec.type)}, not {json_type(value)}",
                    )
                )
        return problems

    def as_json(self) -> dict[str, str]:
        """The schema as the API shows it: ``{"orderId": "String", "note": "String?"}``."""
        return {f.name: f.type + ("" if f.required else OPTIONAL) for f in self.fields}


def parse_schema(raw: Any) -> EventSchema:
    """Read a ``customEvent`` block's ``schema`` (a mapping of field name to type name).

    Raises:
        SchemaError: not a mapping, an empty or non-string field name, or an unknown type
            (the message lists the accepted ones).
    """
    if not isinstance(raw, Mapping):
        raise SchemaError(f"schema must be a mapping of field name to type, not {json_type(raw)}")
    fields = []
    for name, type_name in raw.items():
        if not isinstance(name, str) or not name.strip():
            raise SchemaError(f"schema has an empty or non-text field name: {name!r}")
        text = type_name if isinstance(type_name, str) else ""
        base = text.removesuffix(OPTIONAL)
        if base not in TYPES:
            accepted = ", ".join(TYPES)
            raise SchemaError(
                f"schema field {name!r} has unknown type {type_name!r} "
                f"(accepted: {accepted}; add ? for optional)"
            )
        fields.append(FieldSpec(name, base, required=not text.endswith(OPTIONAL)))
    return EventSchema(tuple(fields))


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, with its article: ``"a Number"``, ``"null"``."""
    if value is None:
        return "null"
    for name in ("Boolean", *TYPES):  # Boolean first: bool is an int
        if _is(value, name):
            return _article(name)
    return type(value).__name__


def _article(type_name: str) -> str:
    return ("an " if type_name[0] in "AEIOU" else "a ") + type_name


def _is(value: Any, type_name: str) -> bool:
    if type_name != "Boolean" and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[type_name])

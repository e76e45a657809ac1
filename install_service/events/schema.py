"""TEMPORARY stand-in (replaced by the full module): custom-event schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TYPES = {"String": str, "Number": (int, float), "Boolean": bool, "Object": dict, "Array": list}


class SchemaError(ValueError):
    pass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class EventSchema:
    fields: dict[str, str]

    def as_json(self) -> dict[str, str]:
        return dict(self.fields)

    def validate(self, data: Any) -> list[FieldError]:
        if not isinstance(data, dict):
            return [FieldError("data", "data must be an object")]
        errors = []
        for name, kind in self.fields.items():
            optional = kind.endswith("?")
            base = kind.rstrip("?")
            value = data.get(name)
            if value is None:
                if not optional:
                    errors.append(FieldError(name, f"{name} is required"))
                continue
            ok = isinstance(value, TYPES[base]) and not (
                base == "Number" and isinstance(value, bool)
            )
            if not ok:
                errors.append(FieldError(name, f"{name} must be a {base}"))
        return errors


def parse_schema(raw: Any) -> EventSchema:
    if not isinstance(raw, dict):
        raise SchemaError("schema must be a mapping")
    return EventSchema({str(k): str(v) for k, v in raw.items()})

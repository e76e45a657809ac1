"""The workflow editor's block form: which fields each block type has, a form's values to a
block (``grammar.block_specs``'s shape) and back, and the problem with each field.

A form is a flat ``{field name: text}``; ``mapping`` is a JSON object of templates. Nothing
here reads or writes the database: ``editor_services`` stores what passes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from install_service.catalog.app_actions import app_action_names
from install_service.catalog.app_triggers import app_trigger_names
from install_service.errors import NotFound
from install_service.grammar.block_specs import check_blocks
from install_service.grammar.expressions import ExpressionError, check_expression, check_mapping


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input of a block type's form: ``kind`` is "expression" (checked as you type),
    "mapping" (a JSON object of templates, checked as you type), "text", "url" or "action"
    (a select of the app's actions)."""

    name: str
    label: str
    kind: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True, slots=True)
class BlockType:
    key: str  # the grammar's type: "math"
    label: str  # what the Block type select shows: "Math"
    fields: tuple[FieldSpec, ...]


_MAPPING_HELP = 'A JSON object of templates, e.g. {"total": "{{ event.total }}"}.'
MAPPING = FieldSpec("mapping", "Mapping", "mapping", help=_MAPPING_HELP)
BLOCK_TYPES: tuple[BlockType, ...] = (
    BlockType(
        "math",
        "Math",
        (
            FieldSpec(
                "expression",
                "Expression",
                "expression",
                help="JSONata giving a number, e.g. event.total * 0.05",
            ),
        ),
    ),
    BlockType("dataMapping", "Data Mapping", (MAPPING,)),
    BlockType(
        "filter",
        "Filter",
        (
            FieldSpec(
                "condition",
                "Condition",
                "expression",
                help='JSONata; false ends the run, e.g. event.status = "FULFILLED"',
            ),
        ),
    ),
    BlockType(
        "streamData",
        "Stream Data",
        (
            FieldSpec("url", "URL", "url", help="Where the data is POSTed (http or https)."),
            FieldSpec("mapping", "Mapping", "mapping", required=False, help=_MAPPING_HELP),
        ),
    ),
    BlockType("appAction", "App action", (FieldSpec("action", "Action", "action"), MAPPING)),
    BlockType(
        "sqlDestination",
        "SQL destination",
        (
            FieldSpec("table", "Table", "text", help="Letters, digits and _."),
            MAPPING,
        ),
    ),
)
BY_KEY = {t.key: t for t in BLOCK_TYPES}
FIELD_KINDS = {f.name: f.kind for t in BLOCK_TYPES for f in t.fields}
_SLUG = re.compile(r"[^a-z0-9]+")


def block_type(key: str) -> BlockType:
    """The type named ``key``; Math for an unknown or empty one (the form's default)."""
    return BY_KEY.get(key, BLOCK_TYPES[0])


def actions_of(app: str) -> list[str]:
    """The names of ``app``'s actions, sorted (the App action block's select)."""
    return sorted(app_action_names().get(app, ()))


def field_problem(name: str, value: str) -> str | None:
    """What is wrong with one field's text as typed (None: nothing): an expression that does
    not parse, a mapping that is not a JSON object of templates that parse. Unknown field
    names have no problem (the whole block is checked again when it is saved)."""
    kind = FIELD_KINDS.get(name)
    if kind == "expression":
        if not value.strip():
            return "Enter an expression."
        try:
            check_expression(value)
        except ExpressionError as exc:
            return f"This expression does not parse: {exc.message}"
    elif kind == "mapping" and value.strip():
        try:
            mapping = json.loads(value)
        except ValueError as exc:
            return f"This is not JSON: {exc}"
        if not isinstance(mapping, dict):
            return "The mapping must be a JSON object."
        if problems := check_mapping(mapping):
            return "; ".join(problems)
    return None


def form_errors(kind: BlockType, values: dict[str, str], app: str) -> dict[str, str]:
    """Every problem with the form, by field name (``name`` included); {} when it can be
    saved (the whole workflow is checked by the grammar on top)."""
    errors: dict[str, str] = {}
    if not values.get("name", "").strip():
        errors["name"] = "Enter a name for the block."
    for spec in kind.fields:
        value = values.get(spec.name, "")
        if spec.required and not value.strip():
            errors[spec.name] = f"Enter the {spec.label.lower()}."
        elif spec.kind == "action" and value not in actions_of(app):
            errors[spec.name] = "Choose one of the app's actions."
        elif problem := field_problem(spec.name, value):
            errors[spec.name] = problem
    return errors


def to_block(
    kind: BlockType, values: dict[str, str], app: str, block_id: str, old: dict[str, Any]
) -> dict[str, Any]:
    """The block the form describes (``form_errors`` found nothing), keeping ``old``'s
    display keys (``icon``) and config keys the form does not show."""
    block: dict[str, Any] = {
        k: v for k, v in old.items() if k in ("icon",) and old.get("type") == kind.key
    }
    block.update(id=block_id, type=kind.key, name=values["name"].strip())
    config = dict(old.get("config") or {}) if old.get("type") == kind.key else {}
    for spec in kind.fields:
        value = values.get(spec.name, "")
        if spec.kind == "mapping":
            if value.strip():
                block["mapping"] = json.loads(value)
        elif spec.kind == "url":
            config["url"] = value.strip()
        elif spec.kind == "action":
            block["app"], block["action"] = app, value
        else:
            block[spec.name] = value.strip() if spec.kind == "text" else value
    if config:
        block["config"] = config
    return block


def to_values(block: dict[str, Any]) -> dict[str, str]:
    """A stored block as the form's values (``mapping`` as indented JSON)."""
    values = {"type": str(block.get("type", "")), "name": str(block.get("name", ""))}
    for spec in block_type(values["type"]).fields:
        if spec.kind == "mapping":
            if "mapping" in block:
                values["mapping"] = json.dumps(block["mapping"], indent=2)
        elif spec.kind == "url":
            values["url"] = str((block.get("config") or {}).get("url", ""))
        else:
            values[spec.name] = str(block.get(spec.name, ""))
    return values


def new_block_id(name: str, taken: set[str]) -> str:
    """A block id from its name (``Tax rate`` → ``tax-rate``; ``-2``, ``-3`` ... if taken)."""
    base = _SLUG.sub("-", name.lower()).strip("-")[:60] or "block"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def grammar_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """What the block grammar (``grammar.block_specs``) finds wrong with a whole version."""
    return check_blocks(blocks, app_actions=app_action_names(), app_triggers=app_trigger_names())


def index_of(blocks: list[dict[str, Any]], block_id: str) -> int:
    """Where the block ``block_id`` is in ``blocks``.

    Raises:
        NotFound: no such block.
    """
    for i, block in enumerate(blocks):
        if block.get("id") == block_id:
            return i
    raise NotFound("That block is not in this version")

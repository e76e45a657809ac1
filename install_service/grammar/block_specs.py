"""The block grammar of a workflow version, checked when a catalogue loads and when an ISV
sets a version's blocks through the API (spec, "Workflow runtime").

Every block has ``id`` (unique in the workflow), ``type`` and ``name``; the first block,
and only the first, is a trigger. Per type:

| type | keys |
|---|---|
| ``customEvent`` (trigger) | ``event`` (text), ``schema`` (``grammar.event_schema``) |
| ``appTrigger`` (trigger) | ``app``, ``event`` (one of the app's triggers) |
| ``appAction`` | ``app``, ``action`` (one the app has), ``mapping`` |
| ``streamData`` | ``config.url`` (http or https), optional ``mapping`` |
| ``dataMapping`` | ``mapping`` |
| ``math`` | ``expression`` (a template or bare JSONata) |
| ``filter`` | ``condition`` (a template or bare JSONata) |
| ``sqlDestination`` | ``table`` (letters, digits, ``_``), ``mapping``, optional ``config.url`` |

A ``mapping`` is an object whose values are templates (``grammar.expressions``). Other keys
(``icon``, ``config``, display keys) are allowed. An empty block list passes (a draft).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from install_service.grammar.event_schema import SchemaError, parse_schema
from install_service.grammar.expressions import ExpressionError, check_expression, check_mapping

TRIGGERS = ("customEvent", "appTrigger")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class _AppNames:
    actions: Mapping[str, Collection[str]]
    triggers: Mapping[str, Collection[str]] | None


Check = Callable[[Mapping[str, Any], _AppNames], list[str]]


def check_blocks(
    blocks: Any,
    *,
    app_actions: Mapping[str, Collection[str]],
    app_triggers: Mapping[str, Collection[str]] | None = None,
) -> list[str]:
    """Every problem with a version's ``blocks`` (a list of block objects), each naming its
    block (``block "update-order-status": unknown action ...``, or ``block 2`` when the
    block has no usable id). An empty list means the blocks are fine.

    ``app_actions`` maps an app key to the names of its actions (for ``appAction``);
    ``app_triggers`` to the names of its triggers (an ``appTrigger``'s ``event``, exact),
    which are not checked when it is None.
    """
    apps = _AppNames(app_actions, app_triggers)
    if not isinstance(blocks, list):
        return ["blocks must be a list of blocks"]
    problems: list[str] = []
    seen: set[str] = set()
    for position, block in enumerate(blocks, start=1):
        if not isinstance(block, Mapping):
            problems.append(f"block {position}: must be an object with id, type and name")
            continue
        block_id = block.get("id")
        label = f'block "{block_id}"' if _text(block_id) else f"block {position}"
        if _text(block_id):
            if block_id in seen:
                problems.append(f"{label}: the id is used by another block")
            seen.add(block_id)
        problems += [f"{label}: {p}" for p in _check_block(block, position, apps)]
    return problems


def _check_block(block: Mapping[str, Any], position: int, apps: _AppNames) -> list[str]:
    problems = [
        f"{key} must be non-empty text" for key in ("id", "name") if not _text(block.get(key))
    ]
    kind = block.get("type")
    check = CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        known = ", ".join(CHECKS)
        return [*problems, f"unknown type {kind!r} (known: {known})"]
    if position == 1 and kind not in TRIGGERS:
        problems.append(f"the first block must be a trigger ({' or '.join(TRIGGERS)}), not {kind}")
    elif position > 1 and kind in TRIGGERS:
        problems.append(f"the {kind} trigger can only be the first block")
    if "config" in block and not isinstance(block["config"], Mapping):
        problems.append("config must be an object")
    return problems + check(block, apps)


def _custom_event(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    problems = _required_text(block, "event")
    if "schema" not in block:
        return [*problems, "missing schema (a mapping of field name to type; {} for none)"]
    try:
        parse_schema(block["schema"])
    except SchemaError as exc:
        problems.append(str(exc))
    return problems


def _app_trigger(block: Mapping[str, Any], apps: _AppNames) -> list[str]:
    problems = _required_text(block, "app", "event")
    app, event = block.get("app"), block.get("event")
    if not problems and apps.triggers is not None:
        known = apps.triggers.get(app)
        if not known:
            problems.append(f"app {app} has no triggers")
        elif event not in known:
            listed = ", ".join(sorted(known))
            problems.append(f'unknown event "{event}" for {app} (known: {listed})')
    return problems


def _app_action(block: Mapping[str, Any], apps: _AppNames) -> list[str]:
    problems = _required_text(block, "app", "action")
    app, action = block.get("app"), block.get("action")
    if not problems:
        known = apps.actions.get(app)
        if not known:
            problems.append(f"app {app} has no actions")
        elif action not in known:
            listed = ", ".join(sorted(known))
            problems.append(f'unknown action "{action}" for {app} (known: {listed})')
    return problems + _mapping(block, required=True)


def _stream_data(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    url = _config(block).get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    problems = []
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append("config.url must be an http or https URL")
    return problems + _mapping(block, required=False)


def _data_mapping(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    return _mapping(block, required=True)


def _math(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    return _expression(block, "expression")


def _filter(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    return _expression(block, "condition")


def _sql_destination(block: Mapping[str, Any], _: _AppNames) -> list[str]:
    problems = []
    table = block.get("table")
    if not isinstance(table, str) or not _TABLE.fullmatch(table):
        problems.append("table must be a name of letters, digits and _ (not starting with a digit)")
    if "url" in _config(block) and not _text(_config(block)["url"]):
        problems.append("config.url must be a database URL")  # never echoed: it may hold a password
    return problems + _mapping(block, required=True)


CHECKS: dict[str, Check] = {
    "customEvent": _custom_event,
    "appTrigger": _app_trigger,
    "appAction": _app_action,
    "streamData": _stream_data,
    "dataMapping": _data_mapping,
    "math": _math,
    "filter": _filter,
    "sqlDestination": _sql_destination,
}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _required_text(block: Mapping[str, Any], *keys: str) -> list[str]:
    return [
        f"missing {key}" if key not in block else f"{key} must be non-empty text"
        for key in keys
        if not _text(block.get(key))
    ]


def _config(block: Mapping[str, Any]) -> Mapping[str, Any]:
    config = block.get("config")
    return config if isinstance(config, Mapping) else {}


def _mapping(block: Mapping[str, Any], *, required: bool) -> list[str]:
    if "mapping" not in block:
        return ["missing mapping (an object of templates)"] if required else []
    if not isinstance(block["mapping"], Mapping):
        return ["mapping must be an object of templates"]
    return check_mapping(block["mapping"])


def _expression(block: Mapping[str, Any], key: str) -> list[str]:
    if not _text(block.get(key)):
        return _required_text(block, key)
    try:
        check_expression(block[key])
    except ExpressionError as exc:
        return [f"{key}: {exc.message}"]
    return []

"""TEMPORARY stand-in (replaced by the full module): {{ JSONata }} templates."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import jsonata

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)


class ExpressionError(ValueError):
    pass


def _eval(expr: str, context: Any) -> Any:
    try:
        compiled = jsonata.Jsonata(expr)
        frame = compiled.create_frame()
        frame.set_runtime_bounds(250, 100)
        return compiled.evaluate(context, frame)
    except Exception as exc:
        raise ExpressionError(f"expression {{{{ {expr.strip()} }}}} failed: {exc}") from None


def render_sync(value: Any, context: Any) -> Any:
    if isinstance(value, dict):
        return {k: render_sync(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_sync(v, context) for v in value]
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return _eval(whole.group(1), context)
    return _TEMPLATE.sub(lambda m: _text(_eval(m.group(1), context)), value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


async def render(value: Any, context: Any) -> Any:
    return await asyncio.to_thread(render_sync, value, context)


async def evaluate_condition(expression: str, context: Any) -> bool:
    text = expression.strip()
    m = _TEMPLATE.fullmatch(text)
    return bool(await asyncio.to_thread(_eval, m.group(1) if m else text, context))


async def evaluate_number(expression: str, context: Any) -> float | int:
    text = expression.strip()
    m = _TEMPLATE.fullmatch(text)
    result = await asyncio.to_thread(_eval, m.group(1) if m else text, context)
    if isinstance(result, bool) or not isinstance(result, int | float):
        raise ExpressionError("math expression did not give a number")
    return result

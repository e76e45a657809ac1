"""``{{ JSONata }}`` templates in workflow blocks: checked when a catalogue loads, rendered
for each execution in a worker thread, bounded in time, depth, range size and output size.

A string that is exactly one template (``"{{ event.total }}"``, whitespace around allowed)
keeps the JSON type of its result (JSONata's undefined is ``None``). Text with templates in
it (``"Order {{ event.orderId }} shipped"``) is a string; each result is written as JSONata's
``$string`` writes it (``2``, not ``2.0``; objects as compact JSON; undefined and null as
nothing). Dicts and lists are rendered value by value (keys are never templates); numbers,
booleans and ``None`` pass through. The ``{{ }}`` syntax is ``grammar.templates``'.

Engine: jsonata-python 0.7.1. A compiled ``Jsonata`` is shared (cached) across threads: each
evaluation runs on a shallow copy made the thread's current instance (the library resolves
``$now()``, ``$eval`` and its evaluation state through that thread-local) with a fresh frame
holding the time and depth bounds. The library checks those bounds between evaluation steps
only, so one native call can overrun them; ``render`` therefore also stops waiting after
twice the time budget, and ranges are capped (``[1..10000000]`` is one step in JSONata).
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import jsonata
import msgspec
import re2  # its error only: patterns compile in grammar.engine
from jsonata.functions import Functions

from install_service.grammar.engine import (
    MAX_RANGE_ITEMS,
    BoundedJsonata,
    RangeTooLarge,
    re2_engine,
)
from install_service.grammar.templates import (
    Expression,
    TemplateSyntaxError,
    as_template,
    count_expressions,
    is_template,
    parse_template,
)


class ExpressionError(Exception):
    """A template that does not parse or an expression that fails, for an ISV to read.

    The message names the expression; it never quotes context data beyond what JSONata's
    own message says."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ExpressionLimits:
    """Bounds on one expression's evaluation."""

    timeout_ms: int = 250
    max_depth: int = 100  # nested evaluation steps (recursion)
    max_output_bytes: int = 65_536  # JSON size of one rendered template value
    max_range_items: int = MAX_RANGE_ITEMS  # items in one ``[a..b]`` range


DEFAULT_LIMITS = ExpressionLimits()


# ---- parsing and checking --------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> BoundedJsonata:
    """The compiled expression (shared: see the module docstring).

    Raises:
        ExpressionError: a JSONata syntax error or a regular expression Python refuses.
    """
    try:
        return BoundedJsonata(source, re2_engine)
    except jsonata.JException as exc:
        raise ExpressionError(f'{_lower_first(str(exc))} in "{Expression(source)}"') from exc
    except (re.error, re2.error) as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ExpressionError(
            f'bad regular expression ({reason}) in "{Expression(source)}"'
        ) from exc


def _parts(text: str) -> tuple[str | Expression, ...]:
    try:
        return parse_template(text)
    except TemplateSyntaxError as exc:
        raise ExpressionError(str(exc)) from exc


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def check_template(value: str) -> None:
    """Parse ``value`` and compile every expression in it.

    Raises:
        ExpressionError: an unterminated ``{{``, an empty template or a JSONata syntax error.
    """
    for part in _parts(value):
        if isinstance(part, Expression):
            _compile(part.source)


def check_expression(text: str) -> None:
    """Check a ``math`` expression or ``filter`` condition: a template or bare JSONata.

    Raises:
        ExpressionError: as ``check_template``; a bare expression that does not compile.
    """
    if is_template(text):
        check_template(text)
    else:
        _compile(text.strip())


def check_mapping(value: Any, path: str = "mapping") -> list[str]:
    """Problems with every template in ``value`` (a dict or list of templates, nested), as
    ``"<path>.<key>: <problem>"``; an empty list when all compile."""
    if isinstance(value, str):
        try:
            check_template(value)
        except ExpressionError as exc:
            return [f"{path}: {exc.message}"]
        return []
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in check_mapping(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in check_mapping(v, f"{path}[{i}]")]
    return []


# ---- evaluation ------------------------------------------------------------------------


def render_sync(
    value: Any, context: Mapping[str, Any], *, limits: ExpressionLimits = DEFAULT_LIMITS
) -> Any:
    """Render ``value`` (see the module docstring) over ``context``
    (``{"event", "trigger", "blocks": {id: output}, "user": {"userId", "username"}}``).
    CPU-bound: call ``render`` from async code.

    Raises:
        ExpressionError: a template that does not parse, an expression that fails or
            exceeds ``limits``.
    """
    if isinstance(value, str):
        return _render_text(value, context, limits)
    if isinstance(value, Mapping):
        return {k: render_sync(v, context, limits=limits) for k, v in value.items()}
    if isinstance(value, list):
        return [render_sync(v, context, limits=limits) for v in value]
    return value


async def render(
    value: Any, context: Mapping[str, Any], *, limits: ExpressionLimits = DEFAULT_LIMITS
) -> Any:
    """``render_sync`` in a worker thread; gives up waiting after twice the time budget of
    all its expressions (the thread then runs on to its own bound).

    Raises:
        ExpressionError: as ``render_sync``, or the wait ran out.
    """
    count = count_expressions(value)
    if not count:
        return render_sync(value, context, limits=limits)
    wait_ms = 2 * limits.timeout_ms * count
    with anyio.move_on_after(wait_ms / 1000):
        return await anyio.to_thread.run_sync(
            functools.partial(render_sync, value, context, limits=limits), abandon_on_cancel=True
        )
    raise ExpressionError(f"{count} expression(s) took longer than {wait_ms} ms")


async def evaluate_condition(
    text: str, context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS
) -> bool:
    """A ``filter`` condition (a template or bare JSONata), by JSONata's truthiness: false,
    0, "", null, undefined, empty arrays and objects are false.

    Raises:
        ExpressionError: as ``render``.
    """
    result = await render(as_template(text), context, limits=limits)
    return bool(jsonata.Jsonata.boolize(result))


async def evaluate_number(
    text: str, context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS
) -> int | float:
    """A ``math`` expression (a template or bare JSONata) that must give a finite number.

    Raises:
        ExpressionError: "math expression ... did not give a number" (another type, a
            division by zero, infinity); otherwise as ``render``.
    """
    template = as_template(text)
    try:
        result = await render(template, context, limits=limits)
    except ExpressionError as exc:
        cause = exc.__cause__
        out_of_range = isinstance(cause, jsonata.JException) and cause.error == "D1001"
        if not (out_of_range or isinstance(cause, ZeroDivisionError)):
            raise
        result = math.inf
    number = isinstance(result, int | float) and not isinstance(result, bool)
    if not number or not math.isfinite(result):
        got = "division by zero or infinity" if number else f"got {_json_type(result)}"
        raise ExpressionError(f"math expression {template.strip()} did not give a number ({got})")
    return result


def _render_text(text: str, context: Mapping[str, Any], limits: ExpressionLimits) -> Any:
    parts = _parts(text)
    exprs = [p for p in parts if isinstance(p, Expression)]
    if not exprs:
        return text
    if len(exprs) == 1 and all(isinstance(p, Expression) or not p.strip() for p in parts):
        return _evaluate(exprs[0], context, limits)
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(part)
        elif (result := _evaluate(part, context, limits)) is not None:
            pieces.append(result if isinstance(result, str) else Functions.string(result, False))
    rendered = "".join(pieces)
    if len(rendered.encode()) > limits.max_output_bytes:
        raise ExpressionError(f"{text[:80]!r} renders larger than {limits.max_output_bytes} bytes")
    return rendered


def _evaluate(expr: Expression, context: Mapping[str, Any], limits: ExpressionLimits) -> Any:
    run = copy.copy(_compile(expr.source))  # this thread's own evaluation state
    run.max_range_items = limits.max_range_items
    jsonata.Jsonata.CURRENT.jsonata = run
    frame = run.create_frame()
    frame.set_runtime_bounds(limits.timeout_ms, limits.max_depth)  # the clock starts here
    try:
        result = _plain(run.evaluate(context, frame))
    except jsonata.JException as exc:
        raise ExpressionError(_failure(expr, exc, limits)) from exc
    except RangeTooLarge as exc:
        raise ExpressionError(
            f"expression {expr} makes a range of more than {limits.max_range_items} items"
        ) from exc
    except ZeroDivisionError as exc:
        raise ExpressionError(f"expression {expr} failed: division by zero") from exc
    except RecursionError as exc:
        raise ExpressionError(f"expression {expr} nests too deeply") from exc
    except Exception as exc:  # the engine's own bugs surface as any Python error
        raise ExpressionError(
            f"expression {expr} failed: JSONata could not evaluate it ({type(exc).__name__})"
        ) from exc  # str(exc) is not shown: it can quote the data (ValueError: '<value>')
    size = len(msgspec.json.encode(result))
    if size > limits.max_output_bytes:
        raise ExpressionError(
            f"expression {expr} result is larger than {limits.max_output_bytes} bytes"
        )
    return result


def _failure(expr: Expression, exc: jsonata.JException, limits: ExpressionLimits) -> str:
    if exc.error == "D1012":
        return f"expression {expr} took longer than {limits.timeout_ms} ms"
    if exc.error == "D1011":
        return f"expression {expr} went deeper than {limits.max_depth} nested steps"
    return f"expression {expr} failed: {_jsonata_message(exc)}"


def _jsonata_message(exc: jsonata.JException) -> str:
    """JSONata's message with the objects and arrays it quotes (often the whole context)
    shown by type, and long text cut."""
    args = [exc.current, exc.expected] + ([exc.extra] if exc.extra is not None else [])
    shown = [
        _json_type(a) if isinstance(a, dict | list) else _cut(a) if isinstance(a, str) else a
        for a in args
    ]
    return jsonata.JException.msg(exc.error, exc.location, *shown)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value: Any) -> Any:
    """JSONata's result as plain JSON values: its sequences and lazy ranges as lists,
    whole floats as ints, functions as ``None``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, str | int | float):
        return value
    return None


def _json_type(value: Any) -> str:
    names = {str: "a String", bool: "a Boolean", dict: "an Object", list: "an Array"}
    return "nothing" if value is None else names.get(type(value), type(value).__name__)

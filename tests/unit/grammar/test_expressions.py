"""Templates in block mappings: types kept, text rendered like $string, mistakes named,
runaways stopped without stalling the event loop."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from jsonata import Timebox

from install_service.grammar.expressions import (
    ExpressionError,
    ExpressionLimits,
    check_expression,
    check_mapping,
    check_template,
    evaluate_condition,
    evaluate_number,
    render,
    render_sync,
)

CONTEXT = {
    "event": {"orderId": "42", "status": "FULFILLED", "total": 12.5, "count": 3},
    "trigger": {},
    "blocks": {"get-order": {"id": 7, "items": [{"sku": "A-1"}]}},
    "user": {"userId": "u1", "username": "ada"},
}
STATUS = '{{ $lookup({"FULFILLED": "Shipped", "DELIVERED": "Completed", "CANCELLED": "Cancelled"}, event.status) }}'
LOOP = "{{ ( $f := function($x){ $f($x+1) }; $f(0) ) }}"


def test_the_order_status_lookup_gives_the_bigcommerce_name() -> None:
    assert render_sync(STATUS, CONTEXT) == "Shipped"
    delivered = {**CONTEXT, "event": {"status": "DELIVERED"}}
    assert render_sync(STATUS, delivered) == "Completed"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ event.orderId }}", "42"),
        ("  {{ event.count }}  ", 3),
        ("{{ event.total * 2 }}", 25),
        ("{{ blocks.`get-order` }}", {"id": 7, "items": [{"sku": "A-1"}]}),
        ("{{ blocks.`get-order`.items.sku }}", "A-1"),
        ("{{ [1..3] }}", [1, 2, 3]),
        ("{{ event.count > 2 }}", True),
        ("{{ event.missing }}", None),
        ('{{ {"nested": {"count": event.count}} }}', {"nested": {"count": 3}}),
    ],
    ids=[
        "string",
        "whitespace",
        "number",
        "object",
        "path",
        "array",
        "boolean",
        "undefined",
        "braces",
    ],
)
def test_a_value_that_is_one_template_keeps_its_json_type(template: str, expected: object) -> None:
    assert render_sync(template, CONTEXT) == expected


def test_text_with_templates_is_a_string_written_like_jsonata_string() -> None:
    rendered = render_sync(
        "Order {{ event.orderId }}: {{ event.count * 2 }} of {{ blocks.`get-order`.items }}"
        " at {{ 0.1 + 0.2 }}{{ event.missing }}.",
        CONTEXT,
    )

    assert rendered == 'Order 42: 6 of [{"sku":"A-1"}] at 0.3.'


def test_mappings_render_value_by_value_and_keys_stay_as_written() -> None:
    mapping = {
        "{{ key }}": "{{ user.username }}",
        "lines": ["{{ event.count }}", "literal", 5, None, True],
        "note": "no templates here",
    }

    assert render_sync(mapping, CONTEXT) == {
        "{{ key }}": "ada",
        "lines": [3, "literal", 5, None, True],
        "note": "no templates here",
    }


def test_syntax_errors_name_the_key_and_the_expression() -> None:
    problems = check_mapping(
        {"orderId": "{{ event.orderId }}", "status": "{{ $lookup( }}", "x": [{"y": "{{ a"}]}
    )

    assert problems == [
        'mapping.status: expected ) before end of expression in "{{ $lookup( }}"',
        "mapping.x[0].y: unterminated {{ in '{{ a'",
    ]


@pytest.mark.parametrize("bad", ["{{ event.orderId", "{{ }}", "{{ 1 + }}", "a {{ $x( }} b"])
def test_check_template_refuses(bad: str) -> None:
    with pytest.raises(ExpressionError):
        check_template(bad)


def test_a_bare_expression_is_checked_as_jsonata() -> None:
    check_expression("event.count > 2")
    check_expression("{{ event.count > 2 }}")
    with pytest.raises(ExpressionError, match="before end of expression"):
        check_expression("$sum(")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (LOOP, "took longer than 250 ms"),
        ("{{ ( $f := function($x){ 1 + $f($x+1) }; $f(0) ) }}", "deeper than 100"),
        ("{{ $sum([1..10000000]) }}", "range of more than 100000 items"),
        ('{{ $pad("x", 70000) }}', "result is larger than 65536 bytes"),
        ("{{ event.orderId + 1 }}", r"failed: The left side of the \+ operator"),
    ],
    ids=["loop", "depth", "range", "output", "type"],
)
def test_runaways_and_failures_raise_a_readable_error(template: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExpressionError, match=message) as caught:
        render_sync(template, CONTEXT)

    assert time.monotonic() - started < 2
    assert caught.value.message.startswith("expression {{ ")


@pytest.mark.parametrize(
    "template",
    [
        "{{ event.token.( $f := function($x){ $f($x) }; $f(0) ) }}",
        '{{ $fromMillis("x") }}',  # JSONata's message quotes its context argument
        "{{ $number(event.token) }}",  # the engine's own ValueError quotes the value
        "{{ $toMillis(event.token) }}",
    ],
    ids=["timeout", "jsonata-message", "engine-error", "date"],
)
def test_error_messages_do_not_quote_the_context(template: str) -> None:
    secret = {"event": {"token": "s3cr3t-value"}}
    with pytest.raises(ExpressionError) as caught:
        render_sync(template, secret)

    assert "s3cr3t" not in caught.value.message
    assert caught.value.message.startswith(f"expression {template}")


def test_mixed_text_output_is_bounded_too() -> None:
    limits = ExpressionLimits(max_output_bytes=10)
    with pytest.raises(ExpressionError, match="larger than 10 bytes"):
        render_sync("{{ event.orderId }} and {{ user.username }} and more", CONTEXT, limits=limits)


def test_one_compiled_expression_serves_many_threads() -> None:
    template = "{{ event.n * 2 }}-{{ $string(event.n) }}"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: render_sync(template, {"event": {"n": n}}), range(200)))

    assert results == [f"{n * 2}-{n}" for n in range(200)]


def test_now_is_the_time_of_evaluation_even_after_other_compiles(monkeypatch) -> None:
    render_sync("{{ $millis() }}", CONTEXT)  # compiled (and cached) first
    render_sync("{{ 'another expression' }}", CONTEXT)
    monkeypatch.setattr(Timebox, "current_milli_time", staticmethod(lambda: 5_000))

    assert render_sync("{{ $millis() }}", CONTEXT) == 5_000


async def test_render_runs_off_the_event_loop() -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        with pytest.raises(ExpressionError, match="took longer than 250 ms"):
            await render({"a": LOOP}, CONTEXT)
    finally:
        done.set()
        await task

    assert ticks > 20


async def test_render_stops_waiting_when_one_native_call_overruns() -> None:
    # One native step cannot be interrupted between steps; render gives up on it.
    limits = ExpressionLimits(timeout_ms=20, max_range_items=10**7)
    with pytest.raises(ExpressionError) as caught:
        await render("{{ $count([1..5000000]) }}", CONTEXT, limits=limits)

    # render's own wait (2 x 20 ms) ran out before JSONata's step check could fire
    assert caught.value.message == "1 expression(s) took longer than 40 ms"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("event.count > 2", True),
        ("{{ event.status = 'CANCELLED' }}", False),
        ("event.missing", False),
        ("{{ blocks.`get-order`.items }}", True),
        ("[]", False),
        ("''", False),
    ],
)
async def test_conditions_follow_jsonata_truthiness(condition: str, expected: bool) -> None:
    assert await evaluate_condition(condition, CONTEXT) is expected


async def test_math_gives_a_number() -> None:
    assert await evaluate_number("event.total * event.count", CONTEXT) == 37.5
    assert await evaluate_number("{{ event.count + 1 }}", CONTEXT) == 4


@pytest.mark.parametrize("expression", ["event.orderId", "1 / 0", "1e308 * 10", "event.missing"])
async def test_math_refuses_what_is_not_a_finite_number(expression: str) -> None:
    with pytest.raises(ExpressionError, match=r"math expression .* did not give a number"):
        await evaluate_number(expression, CONTEXT)


def test_a_regular_expression_the_engine_refuses_is_a_syntax_problem() -> None:
    assert check_mapping({"sku": "{{ $match(event.sku, /a{2,1}/) }}"}) == [
        "mapping.sku: bad regular expression (invalid repetition size: {2,1})"
        ' in "{{ $match(event.sku, /a{2,1}/) }}"'
    ]


async def test_a_backtracking_regular_expression_runs_in_linear_time() -> None:
    """With Python's ``re`` this match takes 2^40 steps and holds the GIL past every bound;
    RE2 answers at once (no match)."""
    scope = {"event": {"s": "a" * 40 + "b"}}
    assert await render("{{ $match(event.s, /(a+)+$/) }}", scope) is None
    assert await render('{{ $replace(event.s, /a(b)/, "x$1") }}', scope) == "a" * 39 + "xb"
    assert await render("{{ $contains(event.s, /B/i) }}", scope) is True


def test_a_regular_expression_re2_cannot_run_is_refused_at_load() -> None:
    with pytest.raises(ExpressionError, match="bad regular expression"):
        check_template("{{ $match(event.s, /(a)\\1/) }}")

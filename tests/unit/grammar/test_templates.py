"""Where a ``{{ }}`` template starts and ends, as an ISV writing JSONata would expect."""

from __future__ import annotations

import pytest

from install_service.grammar.templates import (
    Expression,
    TemplateSyntaxError,
    as_template,
    count_expressions,
    parse_template,
)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("plain text", ("plain text",)),
        ("{{ event.id }}", (Expression("event.id"),)),
        ("Order {{ event.id }} shipped", ("Order ", Expression("event.id"), " shipped")),
        ("{{a}}{{b}}", (Expression("a"), Expression("b"))),
        ('{{ {"a": {"b": 1}} }}', (Expression('{"a": {"b": 1}}'),)),
        ("{{ 'a}}' & \"b}}\" }}", (Expression("'a}}' & \"b}}\""),)),
        ("{{ 'it\\'s }}' }}", (Expression("'it\\'s }}'"),)),
        ("{{ blocks.`odd}}id`.x }}", (Expression("blocks.`odd}}id`.x"),)),
        ("a }} b", ("a }} b",)),
    ],
    ids=["plain", "one", "mixed", "adjacent", "object", "strings", "escaped", "backquote", "stray"],
)
def test_templates_split_where_jsonata_would(text: str, parts: tuple) -> None:
    assert parse_template(text) == parts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ event.id", "unterminated {{ in '{{ event.id'"),
        ("ok {{ 'a}}'", "unterminated {{"),
        ("{{   }}", "empty {{ }}"),
    ],
)
def test_unterminated_and_empty_templates_are_refused(text: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        parse_template(text)


def test_bare_expressions_become_templates_and_templates_are_counted() -> None:
    assert as_template(" event.n > 2 ") == "{{ event.n > 2 }}"
    assert as_template("{{ event.n }}") == "{{ event.n }}"
    assert count_expressions({"a": "{{ x }} {{ y }}", "b": ["{{ z }}", 3], "c": None}) == 3


def test_long_expressions_are_shown_cut() -> None:
    shown = str(Expression("x" * 200))

    assert shown.startswith("{{ xxx") and shown.endswith("... }}") and len(shown) < 100

"""The JSONata engine as the grammar runs it: ranges capped, regular expressions on RE2."""

from __future__ import annotations

from typing import Any

import jsonata
import re2

MAX_RANGE_ITEMS = 100_000  # JSONata's own cap is 10 million


class RangeTooLarge(Exception):
    """A ``[a..b]`` range over ``max_range_items`` items."""


class BoundedJsonata(jsonata.Jsonata):
    """JSONata with ranges capped at ``max_range_items`` (set per evaluation)."""

    max_range_items = MAX_RANGE_ITEMS

    def evaluate_range_expression(self, lhs: Any, rhs: Any) -> Any:
        if isinstance(lhs, int) and isinstance(rhs, int) and rhs - lhs >= self.max_range_items:
            raise RangeTooLarge
        return super().evaluate_range_expression(lhs, rhs)


def re2_engine(pattern: str, flags: Any) -> Any:
    """JSONata's ``/regex/flags`` compiled by RE2 (google-re2), jsonata-python's
    ``regex_engine`` hook: matching takes linear time, so a pattern like ``/(a+)+$/`` cannot
    stall a worker (Python's ``re`` backtracks, holding the GIL past every time bound). RE2
    has no backreferences or lookaround: such a pattern is refused when the workflow loads.

    Raises:
        re2.error: a pattern RE2 cannot compile.
    """
    options = re2.Options()
    options.case_sensitive = not flags.case_insensitive
    return re2.compile(f"(?m){pattern}" if flags.multiline else pattern, options)

"""The bench suite's own logic: inlined EXPLAIN parameters, kept rows of a subset run, the
subprocess contract's "not measured"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scale, suite
from bench.support import write_section


def test_inline_puts_each_parameter_as_a_literal_even_past_nine() -> None:
    sql = "SELECT 1 WHERE a = $1::UUID AND b = $2 AND c IS $3 AND d = $10 AND e = $4"
    params = ["0f-'x", 5, None, True, 0, 0, 0, 0, 0, "ten"]

    assert scale.inline(sql, params) == (
        "SELECT 1 WHERE a = '0f-''x'::UUID AND b = 5 AND c IS NULL AND d = 'ten' AND e = TRUE"
    )


def test_a_subset_run_keeps_the_other_rows_of_the_section(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    table = "\n".join(
        [suite.HEADING, "", "date", "", suite.HEADER, "| P1 | a | — | g | met |", "| P2 | b |"]
    )
    write_section(out, "# other\n\nkept\n")
    write_section(out, table)

    rows = suite.previous_rows(out, suite.HEADING)

    assert set(rows) == {"P1", "P2"}
    assert rows["P1"] == "| P1 | a | — | g | met |"
    assert "kept" in out.read_text()


def test_a_missing_script_is_not_measured() -> None:
    with pytest.raises(suite.NotMeasured, match=r"not measured \(bench/nope\.py missing\)"):
        suite.run_json("nope.py", ["--json"])

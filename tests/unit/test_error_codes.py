"""Every error code lives in ``install_service/error_codes.py`` and in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

from install_service import error_codes

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "install_service"


def _constants() -> dict[str, str]:
    return {k: v for k, v in vars(error_codes).items() if k.isupper() and isinstance(v, str)}


def _readme_codes() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Error codes", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


def test_every_code_is_in_the_readme_table_and_every_row_is_a_code() -> None:
    codes = set(_constants().values())
    assert codes == _readme_codes()


def test_constants_are_their_own_names_in_lower_case() -> None:
    for name, value in _constants().items():
        assert value == name.lower()


def test_no_code_is_spelled_out_outside_error_codes() -> None:
    spelled = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "error_codes.py":
            continue
        for match in re.finditer(r"""code\s*=\s*["']([a-z_]+)["']""", path.read_text()):
            spelled.append(f"{path.relative_to(ROOT)}: {match.group(1)}")
    assert spelled == []


def test_every_code_used_in_the_package_is_a_constant() -> None:
    names = set(_constants())
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"error_codes\.([A-Z_]+)", path.read_text()))
    assert used <= names

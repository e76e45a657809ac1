"""The import graph points one way: controllers → services → models, shared helpers below.

Read from the source with ``ast`` (imports inside functions count too: a lazy import is
still a dependency), at two grains: modules, and the packages of ``install_service``.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "install_service"
ROOT_NAME = "install_service"
# Entry points that wire everything together; nothing may import them.
TOP = {"install_service.app", "install_service.cli", "install_service.__main__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith(ROOT_NAME + "."):
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p) for p in paths}
    graph = {}
    for path in paths:
        name = _module_name(path)
        graph[name] = {
            m for m in _imports(path, modules) if m != name and not name.startswith(m + ".")
        }
    return graph


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else module


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return exc.args[1]
    return None


def test_no_module_import_cycles() -> None:
    assert _cycle(_graph()) is None


def test_no_package_import_cycles() -> None:
    packages: dict[str, set[str]] = {}
    for module, imported in _graph().items():
        deps = packages.setdefault(_package(module), set())
        deps |= {_package(m) for m in imported} - {_package(module)}
    assert _cycle(packages) is None


def test_layers_point_one_way() -> None:
    """Nothing imports the entry points; services never import controllers; models import
    no domain code; middleware-free helpers (errors, ids, error_codes) import no domain."""
    wrong = []
    for module, imported in _graph().items():
        leaf = module.rsplit(".", 1)[-1]
        for target in imported:
            target_leaf = target.rsplit(".", 1)[-1]
            if target in TOP and module not in TOP:
                wrong.append(f"{module} imports the entry point {target}")
            elif "controllers" not in leaf and module not in TOP and "controllers" in target_leaf:
                wrong.append(f"{module} (not a controller) imports {target}")
            elif module.startswith("install_service.db.models") and not target.startswith(
                "install_service.db"
            ):
                wrong.append(f"the model {module} imports {target}")
    assert wrong == []

"""No middleware touches the database: no project module the app's middleware loads
imports the database layer (a second session there queued behind the request's own).

Third-party imports are not followed: ``import litestar`` alone loads SQLAlchemy (its
pagination schema plugin imports advanced-alchemy when installed)."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

from litestar.middleware.base import DefineMiddleware

from install_service.app import create_app
from install_service.settings import PROJECT_ROOT, Settings

DATABASE_LAYER = ("sqlalchemy", "advanced_alchemy", "aiosqlite", "asyncpg", "install_service.db")


def middleware_modules(tmp_path: Path) -> set[str]:
    """The modules defining each app middleware and the callables configured into it."""
    app = create_app(Settings(var_dir=tmp_path, database_url="sqlite+aiosqlite:///:memory:"))
    modules: set[str] = set()
    for middleware in app.middleware:
        if isinstance(middleware, DefineMiddleware):
            modules.add(middleware.middleware.__module__)
            for value in middleware.kwargs.values():
                if is_dataclass(value):
                    for field in fields(value):
                        if callable(attr := getattr(value, field.name)):
                            modules.add(getattr(attr, "__module__", None) or "")
        else:
            modules.add(type(middleware).__module__)
    return {m for m in modules if m}


def project_modules_loaded_by(modules: set[str]) -> list[str]:
    """The ``install_service`` modules a fresh interpreter has loaded after importing ``modules``."""
    probe = (
        "import importlib, json, sys\n"
        f"for name in {sorted(modules)!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('install_service'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def imported_names(module: str) -> set[str]:
    """Every module named by an ``import`` or ``from ... import`` in ``module``'s source."""
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_middleware_module_imports_the_database_layer(tmp_path: Path) -> None:
    modules = middleware_modules(tmp_path)
    assert {"install_service.enduser.cors", "install_service.ratelimits"} <= modules
    loaded = project_modules_loaded_by(modules)
    assert "install_service.ratelimits" in loaded
    offenders = {
        module: sorted(
            name
            for name in imported_names(module)
            if name == "install_service.db" or name.startswith(DATABASE_LAYER)
        )
        for module in loaded
    }
    assert {module: names for module, names in offenders.items() if names} == {}

"""``pip install`` of the built wheel, not the checkout: a newcomer's ``install-service demo``
in a fresh venv, run from a folder that is not the checkout, serves every page and asset.

The wheel's dependencies come from the configured package index (``pip config list``), so
this is a clean install (no ``--system-site-packages``, nothing borrowed from this venv).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, service_env

pytestmark = pytest.mark.wheel
HTMX = REPO_ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the fresh venv's ``install-service``, a working folder outside the checkout, env)."""
    root = tmp_path_factory.mktemp("wheel")
    assert not root.is_relative_to(REPO_ROOT)
    # Nothing of the checkout on the path: what runs is what the wheel installed.
    env = {k: v for k, v in service_env({}).items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    dist = root / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO_ROOT)],
        root,
        env,
    )
    (wheel,) = dist.glob("install_service-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], root, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], root, env)
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import install_service; print(install_service.__file__)",
        ],
        root,
        env,
    )
    assert Path(where.strip()).is_relative_to(venv), where
    workdir = root / "work"
    workdir.mkdir()
    return venv / "bin" / "install-service", workdir, env


def test_demo_from_the_installed_wheel_serves_pages_and_assets(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    cli, workdir, env = installed
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = ServiceProcess(
        ["demo", "--host", "127.0.0.1", "--port", str(port)],
        env,
        url,
        workdir / "demo.log",
        cli=cli,
        cwd=workdir,
    ).start(timeout_s=45)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            demo = http.get("/demo")
            assert demo.status_code == 200, demo.text
            assert "BigCommerce" in demo.text  # the demo catalogue was found and loaded
            sdk = http.get("/static/embedded.js")
            assert sdk.status_code == 200
            htmx = http.get("/static/htmx.min.js")
            assert htmx.status_code == 200
            assert htmx.content == HTMX.read_bytes()
            integration_id = re.search(r'data-install="([^"]+)"', demo.text)
            token = re.search(r'data-token="([^"]+)"', demo.text)
            assert integration_id and token, demo.text
            modal = http.get(
                "/forge-install",
                params={"integrationId": integration_id[1], "token": token[1]},
            )
            assert modal.status_code == 200, modal.text
            assert "Store hash" in modal.text  # the first step, rendered from the templates
    finally:
        process.stop()
    # State lives where the user ran the command, not inside site-packages.
    assert (workdir / "var" / "install-service.db").is_file()
    assert os.listdir(workdir / "var" / "keys")

"""The ``install-service`` command run as a user runs it: one-shot commands and servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# The entry point installed beside the interpreter running the tests (whichever venv that is).
CLI = Path(sys.executable).parent / "install-service"
if not CLI.is_file():
    CLI = Path(shutil.which("install-service") or CLI)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any ``INSTALL_SERVICE_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTALL_SERVICE_")}
    return env | dict(extra)


def runtime_env(var_dir: Path, database_url: str, url: str, bigcommerce_api: str) -> dict[str, str]:
    """The settings of a real server (or worker) whose workflows call the fake BigCommerce at
    ``bigcommerce_api`` and may reach local receivers; ``url`` is its public URL."""
    return {
        "INSTALL_SERVICE_VAR_DIR": str(var_dir),
        "INSTALL_SERVICE_DATABASE_URL": database_url,
        "INSTALL_SERVICE_PUBLIC_URL": url,
        "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
        "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": bigcommerce_api,
    }


def run_cli(args: list[str], env: Mapping[str, str]) -> str:
    """Run ``install-service <args>``; returns stdout, raises with stderr on failure."""
    done = subprocess.run(
        [str(CLI), *args], env=dict(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"install-service {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


class ServiceProcess:
    """``install-service <args>`` in the background, output to ``log_path``; ready once /health is 200.

    ``cli`` and ``cwd`` default to this venv's entry point and the checkout."""

    def __init__(
        self,
        args: list[str],
        env: Mapping[str, str],
        url: str,
        log_path: Path,
        *,
        cli: Path = CLI,
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.args, self.env, self.url, self.log_path = args, dict(env), url, log_path
        self.cli, self.cwd = cli, cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> ServiceProcess:
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [str(self.cli), *self.args],
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"install-service exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"install-service did not become healthy:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None

    def terminate(self) -> None:
        """SIGTERM, as a process manager stops a service; see :meth:`wait_exit`."""
        assert self._proc is not None
        self._proc.terminate()

    def wait_exit(self, timeout_s: float = 30.0) -> int:
        """Wait for the process to end; returns its exit status."""
        assert self._proc is not None
        status = self._proc.wait(timeout=timeout_s)
        self._proc = None
        return status

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything (a crash, an OOM kill)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None


def start_worker(env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``install-service worker`` in the background (it serves no HTTP: nothing to wait for;
    what it is given to run waits in the queue until it is up)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [str(CLI), "worker"], env=dict(env), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
        )


def server_logs(folder: Path) -> str:
    """Everything the servers and workers of a test wrote (``*.log`` in ``folder``)."""
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))

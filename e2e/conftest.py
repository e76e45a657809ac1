"""Browser-test fixtures: Chromium, the real service (subprocess), a third-party host page,
a fake BigCommerce and the ISV's webhook receiver. Screenshots go to artifacts/e2e/<test>/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from e2e.support.servers import FakeBigCommerce, HostPages, Service
from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, run_cli, service_env
from tests.support.receiver import Receiver

SYSTEM_CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "e2e"
EXAMPLE_CATALOG = REPO_ROOT / "examples" / "acme-bigcommerce.yaml"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every browser test ``e2e``, and keep them on one pytest-xdist worker
    (``--dist loadgroup``): they share one service, browser and receiver per session."""
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        if SYSTEM_CHROMIUM.exists():
            browser = playwright.chromium.launch(
                executable_path=str(SYSTEM_CHROMIUM), args=CHROMIUM_ARGS
            )
        else:
            browser = playwright.chromium.launch()
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """``shot(page, "step")`` saves artifacts/e2e/<test name>/<NN>-<step>.png."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = iter(range(1, 100))

    def take(target: Page, step: str) -> None:
        target.screenshot(path=str(folder / f"{next(count):02d}-{step}.png"))

    return take


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_bigcommerce() -> Iterator[FakeBigCommerce]:
    server = FakeBigCommerce()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def service(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver, fake_bigcommerce: FakeBigCommerce
) -> Iterator[Service]:
    """``install-service serve`` with ISV AcmeCo (created and loaded through the real CLI)."""
    tmp = tmp_path_factory.mktemp("service")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    host, other_host = HostPages(url), HostPages(url)
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp / "var"),
            "INSTALL_SERVICE_PUBLIC_URL": url,
            "INSTALL_SERVICE_BIGCOMMERCE_API_BASE": fake_bigcommerce.url,
            "INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE": "true",
            "INSTALL_SERVICE_WEBHOOK_RETRY_SCHEDULE": "0.5,1,2",
        }
    )
    created = json.loads(
        run_cli(
            [
                "isv",
                "create",
                "--name",
                "AcmeCo",
                "--allowed-origin",
                host.origin,
                "--webhook-url",
                receiver.url,
                "--json",
            ],
            env,
        )
    )
    loaded = json.loads(
        run_cli(["catalog", "load", str(EXAMPLE_CATALOG), "--isv", created["isvId"]], env)
    )
    process = ServiceProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, url, tmp / "service.log"
    ).start()
    try:
        yield Service(
            url=url,
            isv_id=created["isvId"],
            api_key=created["apiKey"],
            webhook_secret=created["webhookSecret"],
            integration_id=loaded["integrations"]["acme-bigcommerce"],
            host=host,
            other_host=other_host,
            database_url=f"sqlite+aiosqlite:///{tmp / 'var' / 'install-service.db'}",
        )
    finally:
        process.stop()
        host.stop()
        other_host.stop()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    """``install-service demo`` (what ``make run`` runs) on a free port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env({"INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var")})
    process = ServiceProcess(
        ["demo", "--host", "127.0.0.1", "--port", str(port)], env, url, tmp_path / "demo.log"
    ).start()
    yield url
    process.stop()

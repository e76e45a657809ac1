"""Fixtures shared by every test: settings on a temp folder, a real database, an ISV."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.catalog.loader import load_catalog_file
from install_service.db.config import migrate, sqlalchemy_config
from install_service.isvs.services import create_isv
from install_service.settings import PROJECT_ROOT, Settings
from tests.support.databases import (
    create_postgres_database,
    postgres_available,
    require_postgres_in_ci,
    sqlite_url,
)
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.receiver import Receiver

EXAMPLE_CATALOG = PROJECT_ROOT / "examples" / "acme-bigcommerce.yaml"
HOST_ORIGIN = "http://localhost:9100"  # a stand-in for the ISV's frontend origin


def _backends() -> list:
    require_postgres_in_ci()
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not postgres_available(), reason="no throwaway PostgreSQL (run `make test`)"
                ),
            ],
        ),
    ]


@pytest.fixture(autouse=True)
def _fresh_advanced_alchemy_key_registries() -> Iterator[None]:
    """advanced-alchemy remembers the key names of every ``SQLAlchemyAsyncConfig`` ever made
    in class-level sets, to give two configs in one app distinct names, and finds a free
    name by recursion: after ~1000 configs in one test process that overflows the stack.
    A server makes one or two; each test here starts with empty sets."""
    yield
    for registry in (
        "_SESSION_SCOPE_KEY_REGISTRY",
        "_ENGINE_APP_STATE_KEY_REGISTRY",
        "_SESSIONMAKER_APP_STATE_KEY_REGISTRY",
    ):
        getattr(SQLAlchemyAsyncConfig, registry).clear()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind a test runs against; integration tests run once per kind."""
    return request.param


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> str:
    url = await create_postgres_database() if backend == "postgresql" else sqlite_url(tmp_path)
    await asyncio.to_thread(migrate, sqlalchemy_config(url))
    return url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rsa_pem() -> str:
    """One 2048-bit RSA key (PKCS#8 PEM) for the whole run: making one takes 0.05-0.5 s, and
    every app would otherwise generate its webhook key under its own var/keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, rsa_pem: str) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        webhook_private_key_pem=rsa_pem,
        database_url=database_url,
        public_url="http://testserver.local",
        credential_keys=(base64.b64encode(os.urandom(32)).decode(),),
        webhook_allow_private=True,
        webhook_retry_schedule_s=(0.2, 0.4, 0.8),
        webhook_poll_interval_s=0.2,
        webhook_timeout_s=3.0,
        step_retry_interval_s=0.05,  # transient block failures: retried 3 times, fast
        step_max_attempts=3,
        app_call_timeout_s=5.0,
    ).resolved()


@dataclass
class IsvFixture:
    isv_id: str
    api_key: str
    webhook_secret: str
    integration_id: str
    production_api_key: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def production_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.production_api_key}"}


async def make_isv(
    settings: Settings, name: str, webhook_url: str | None, origins: list[str] | None = None
) -> IsvFixture:
    """An ISV with the example catalogue loaded, created straight through the services."""
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            created = await create_isv(
                session,
                name=name,
                allowed_origins=origins or [HOST_ORIGIN],
                webhook_url=webhook_url,
                allow_private_webhooks=True,
            )
            report = await load_catalog_file(session, EXAMPLE_CATALOG, created.isv.id)
            await session.commit()
    finally:
        await config.get_engine().dispose()
    return IsvFixture(
        str(created.isv.id),
        created.api_key,
        created.webhook_secret,
        report.integration_ids["acme-bigcommerce"],
        production_api_key=created.production_api_key,
    )


@pytest.fixture
async def isv(settings: Settings, receiver: Receiver) -> IsvFixture:
    """ISV "AcmeCo" whose webhook URL is the test ``receiver``."""
    return await make_isv(settings, "AcmeCo", receiver.url)


@pytest.fixture
async def other_isv(settings: Settings) -> IsvFixture:
    return await make_isv(settings, "OtherCo", None, ["http://localhost:9200"])


@pytest.fixture
def bigcommerce() -> Iterator[FakeBigCommerce]:
    """A local stand-in for the BigCommerce API (the modal's connection test calls it)."""
    server = FakeBigCommerce().start()
    yield server
    server.stop()


@pytest.fixture
def store(bigcommerce: FakeBigCommerce) -> FakeBigCommerce:
    """The fake BigCommerce knowing the example user's token and order 101 (Awaiting
    Fulfillment), for tests whose workflows change orders."""
    from tests.support.installs import ACCESS_TOKEN, STORE_HASH

    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101, status_id=11)
    return bigcommerce


@pytest.fixture
def modal_settings(settings: Settings, bigcommerce: FakeBigCommerce) -> Settings:
    """The test settings with BigCommerce calls sent to the local ``bigcommerce``."""
    return replace(settings, app_api_bases={"bigcommerce": bigcommerce.api_base})


@pytest.fixture
async def app(modal_settings: Settings) -> Litestar:
    """The service as a test's ``client`` talks to it (BigCommerce is the local fake)."""
    return create_app(modal_settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client

"""The SQL database app: an end user connects their own database (by the ISV API or the
install form), and a ``sqlDestination`` block without ``config.url`` writes into it; on
SQLite and PostgreSQL, against real databases (a SQLite file, or the test PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from install_service.catalog.loader import load_catalog, parse_catalog
from install_service.db.config import sqlalchemy_config
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.installs import finish_install, new_user
from tests.support.runtime import finished_execution, send_event
from tests.support.workflows import workflows_of

pytestmark = pytest.mark.usefixtures("backend")

PASSWORD = "warehouse-pw-5e1f"
WAREHOUSE = """
integrations:
  - key: acme-warehouse
    app: sql
    name: Warehouse
    workflows:
      - key: record-shipments
        name: Record shipments
        blocks:
          - {id: trigger, type: customEvent, name: Order Shipped, event: Order Shipped,
             schema: {orderId: String, total: Number}}
          - id: warehouse
            type: sqlDestination
            name: Warehouse
            table: shipments
            mapping:
              order_id: "{{ event.orderId }}"
              total: "{{ event.total }}"
              shipped_by: "{{ user.username }}"
  - key: acme-bigcommerce-log
    app: bigcommerce
    name: BigCommerce with a log
    workflows:
      - key: log-orders
        name: Log orders
        blocks:
          - {id: trigger, type: customEvent, name: Order Logged, event: Order Logged,
             schema: {orderId: String}}
          - {id: log, type: sqlDestination, name: Log, table: shipments,
             mapping: {order_id: "{{ event.orderId }}"}}
"""


@pytest.fixture
def own_database(backend: str, tmp_path: Path, database_url: str) -> str:
    """The end user's database, with the table the workflow writes to, as they would give
    its URL (PostgreSQL: the test cluster, which trusts any password)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    else:
        parsed = sa.make_url(database_url)
        url = parsed.set(drivername="postgresql", password=PASSWORD).render_as_string(False)
    engine = sa.create_engine(sa.make_url(url).set(drivername=_sync_driver(url)))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS shipments"))
        connection.execute(
            sa.text("CREATE TABLE shipments (order_id TEXT, total FLOAT, shipped_by TEXT)")
        )
    engine.dispose()
    return url


def _sync_driver(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql+psycopg"


def shipments(url: str) -> list[tuple]:
    engine = sa.create_engine(sa.make_url(url).set(drivername=_sync_driver(url)))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT * FROM shipments")).all())
    finally:
        engine.dispose()


async def _load_warehouse(settings: Settings, isv: IsvFixture) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await load_catalog(session, parse_catalog(WAREHOUSE), uuid.UUID(isv.isv_id))
            await session.commit()
    finally:
        await config.get_engine().dispose()


async def warehouse_user(client, isv: IsvFixture, settings: Settings) -> tuple[str, str, str]:
    """A new end user, after the Warehouse integration is loaded: (userId, JWT, integrationId)."""
    await _load_warehouse(settings, isv)
    user_id, token = await new_user(client, isv)
    answer = await client.get(
        "/2023-12/integrations", params={"userId": user_id}, headers=isv.headers
    )
    assert answer.status_code == 200, answer.text
    [integration_id] = [
        i["integrationId"] for i in answer.json()["data"] if i["name"] == "Warehouse"
    ]
    return user_id, token, integration_id


async def record_shipments_id(client, isv: IsvFixture, user_id: str) -> str:
    workflows = await workflows_of(client, isv, user_id)
    return next(w for w, body in workflows.items() if body["name"] == "Record shipments")


def credentials_url(user_id: str) -> str:
    return f"/2023-12/users/{user_id}/credentials"


async def test_a_database_that_answers_is_stored_as_the_end_users_credential(
    client, isv: IsvFixture, own_database: str
) -> None:
    user_id, _ = await new_user(client, isv)

    created = await client.post(
        credentials_url(user_id),
        json={"app": "sql", "data": {"url": f"  {own_database}  "}},
        headers=isv.headers,
    )

    assert created.status_code == 201, created.text
    listed = (await client.get(credentials_url(user_id), headers=isv.headers)).json()["data"]
    assert [(c["app"], c["name"]) for c in listed] == [("sql", "SQL database (gregg)")]
    assert PASSWORD not in str(listed) and own_database not in str(listed)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "starts with its kind of database"),
        ("oracle://scott:tiger@db.example.com/orders", "Unsupported kind of database 'oracle'"),
        (f"postgresql://app:{PASSWORD}@127.0.0.1:1/orders", "Connection refused"),
        (f"postgresql://app:{PASSWORD}@no-such-host.invalid/orders", "does not resolve"),
    ],
)
async def test_a_url_that_does_not_connect_is_refused_and_nothing_is_stored(
    client, isv: IsvFixture, url: str, says: str
) -> None:
    user_id, _ = await new_user(client, isv)

    refused = await client.post(
        credentials_url(user_id), json={"app": "sql", "data": {"url": url}}, headers=isv.headers
    )

    assert refused.status_code == 422, refused.text
    assert says in refused.json()["message"]
    assert PASSWORD not in refused.text
    assert (await client.get(credentials_url(user_id), headers=isv.headers)).json()["data"] == []


async def test_an_installed_warehouse_workflow_writes_into_the_end_users_own_database(
    client, isv: IsvFixture, settings: Settings, own_database: str
) -> None:
    user_id, token, integration_id = await warehouse_user(client, isv, settings)
    headers = {"x-alloy-user-token": token}
    form = {"integrationId": integration_id}

    bad = await client.post(
        "/forge-install/install", data={**form, "url": "oracle://x@y/z"}, headers=headers
    )
    installed = await client.post(
        "/forge-install/install", data={**form, "url": own_database}, headers=headers
    )
    workflow_id = await record_shipments_id(client, isv, user_id)
    sent = await send_event(
        client, isv, user_id, {"orderId": "A-7", "total": 42.5}, event="Order Shipped"
    )
    [execution_id] = sent.json()["executionIds"]
    run = await finished_execution(client, isv, workflow_id, user_id, execution_id)

    assert "Unsupported kind of database" in bad.text
    assert installed.status_code == 200, installed.text
    assert run["status"] == "success", run
    assert run["blocks"][-1]["output"] == {"rowCount": 1}
    assert shipments(own_database) == [("A-7", 42.5, "gregg")]


async def test_without_a_connected_database_the_run_fails_saying_so(
    client, isv: IsvFixture, settings: Settings, own_database: str
) -> None:
    user_id, token, _ = await warehouse_user(client, isv, settings)
    answer = await client.get(
        "/2023-12/integrations", params={"userId": user_id}, headers=isv.headers
    )
    [integration_id] = [
        i["integrationId"] for i in answer.json()["data"] if i["name"] == "BigCommerce with a log"
    ]
    assert (await finish_install(client, integration_id, token)).status_code == 200
    workflows = await workflows_of(client, isv, user_id)
    workflow_id = next(w for w, body in workflows.items() if body["name"] == "Log orders")

    sent = await send_event(client, isv, user_id, {"orderId": "A-8"}, event="Order Logged")
    run = await finished_execution(
        client, isv, workflow_id, user_id, sent.json()["executionIds"][0]
    )

    assert run["status"] == "failed"
    assert "no SQL database connected" in run["blocks"][-1]["error"]
    assert shipments(own_database) == []

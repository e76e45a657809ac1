"""Every block type in one workflow: data mapping, math, filter, Stream Data (signed like the
installation webhook) and SQL Destination (a real SQLite or PostgreSQL database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from install_service.catalog.loader import load_catalog, parse_catalog
from install_service.db.config import sqlalchemy_config
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.installs import finish_install, new_user
from tests.support.receiver import Receiver
from tests.support.runtime import finished_execution, send_event
from tests.support.workflows import workflows_of

PIPELINE = """
integrations:
  - key: acme-bigcommerce
    app: bigcommerce
    name: BigCommerce
    workflows:
      - key: order-shipped
        name: Order shipped pipeline
        blocks:
          - {{id: trigger, type: customEvent, name: Order Shipped, event: Order Shipped,
             schema: {{orderId: String, total: Number, items: Array, note: "String?"}}}}
          - id: shape
            type: dataMapping
            name: Shape
            mapping:
              order: "{{{{ event.orderId }}}}"
              count: "{{{{ $count(event.items) }}}}"
              label: "Order {{{{ event.orderId }}}} by {{{{ user.username }}}}"
          - {{id: tax, type: math, name: Tax, expression: "event.total * 0.2"}}
          - {{id: big-only, type: filter, name: Big orders only, condition: "{{{{ event.total > 10 }}}}"}}
          - id: stream
            type: streamData
            name: Stream Data
            config: {{url: "{stream_url}"}}
            mapping:
              order: "{{{{ blocks.shape.order }}}}"
              tax: "{{{{ blocks.tax.result }}}}"
          - id: warehouse
            type: sqlDestination
            name: Warehouse
            table: shipped_orders
            config: {{url: "{sql_url}"}}
            mapping:
              order_id: "{{{{ event.orderId }}}}"
              tax: "{{{{ blocks.tax.result }}}}"
              label: "{{{{ blocks.shape.label }}}}"
"""


@pytest.fixture
def warehouse(backend: str, tmp_path: Path, database_url: str) -> str:
    """The end user's own SQL database, with the table the workflow writes to: a SQLite file,
    or (PostgreSQL runs) the test database itself, in a table of its own."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}" if backend == "sqlite" else database_url
    sync_url = url.replace("+asyncpg", "+psycopg")
    engine = sa.create_engine(sync_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE shipped_orders (order_id TEXT, tax FLOAT, label TEXT)")
        )
    engine.dispose()
    return sync_url


async def _load(settings: Settings, isv: IsvFixture, text: str) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            import uuid

            await load_catalog(session, parse_catalog(text), uuid.UUID(isv.isv_id))
            await session.commit()
    finally:
        await config.get_engine().dispose()


async def test_a_workflow_of_every_block_type(
    client: AsyncTestClient,
    isv: IsvFixture,
    settings: Settings,
    warehouse: str,
    receiver: Receiver,
) -> None:
    stream = Receiver().start()
    try:
        await _load(settings, isv, PIPELINE.format(stream_url=stream.url, sql_url=warehouse))
        user_id, token = await new_user(client, isv)
        assert (await finish_install(client, isv.integration_id, token)).status_code == 200
        [workflow_id] = [
            w
            for w, body in (await workflows_of(client, isv, user_id)).items()
            if body["name"] == "Order shipped pipeline"
        ]
        data = {"orderId": "A-7", "total": 50, "items": [1, 2, 3]}

        sent = await send_event(client, isv, user_id, data, event="Order Shipped")
        small = await send_event(client, isv, user_id, {**data, "total": 5}, event="Order Shipped")

        [run_id], [small_id] = sent.json()["executionIds"], small.json()["executionIds"]
        run = await finished_execution(client, isv, workflow_id, user_id, run_id)
        filtered = await finished_execution(client, isv, workflow_id, user_id, small_id)
        [posted] = stream.wait_for(1)
    finally:
        stream.stop()

    assert run["status"] == "success", run
    outputs = {b["blockId"]: b["output"] for b in run["blocks"]}
    assert outputs["shape"] == {"order": "A-7", "count": 3, "label": "Order A-7 by gregg"}
    assert outputs["tax"] == {"result": 10}
    assert outputs["stream"] == {"status": 200}
    assert outputs["warehouse"] == {"rowCount": 1}
    assert json.loads(posted.body) == {"order": "A-7", "tax": 10}
    Webhook(isv.webhook_secret).verify(posted.body, posted.headers)
    assert "x-alloy-signature" in posted.headers
    assert filtered["status"] == "filtered"
    assert [b["blockId"] for b in filtered["blocks"]] == ["shape", "tax", "big-only"]
    engine = sa.create_engine(warehouse)
    with engine.connect() as connection:
        assert connection.execute(
            sa.text("SELECT order_id, tax, label FROM shipped_orders")
        ).all() == [("A-7", 10.0, "Order A-7 by gregg")]
    engine.dispose()

"""An execution committed as queued whose DBOS enqueue never happened (the process died in
between, before answering) runs when a process starts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.db.models import Execution
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.db_rows import as_uuid, rows
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.installs import ACCESS_TOKEN, STORE_HASH
from tests.support.runtime import FULFILLMENT_WORKFLOW, finished_execution, order_event
from tests.support.workflows import installed_user


async def _orphan(database_url: str, user_id: str) -> str:
    """A queued execution of the user's fulfillment workflow, two minutes old, never enqueued."""
    [row] = await rows(
        database_url,
        "SELECT iw.id, iw.version_id, iw.workflow_id, i.isv_id FROM installed_workflow iw "
        "JOIN installation i ON i.id = iw.installation_id "
        "JOIN workflow w ON w.id = iw.workflow_id WHERE w.name = :name",
        name=FULFILLMENT_WORKFLOW,
    )
    execution_id = uuid.uuid4()
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session:
            session.add(
                Execution(
                    id=execution_id,
                    isv_id=as_uuid(row["isv_id"]),
                    user_id=uuid.UUID(user_id),
                    workflow_id=as_uuid(row["workflow_id"]),
                    installed_workflow_id=as_uuid(row["id"]),
                    version_id=as_uuid(row["version_id"]),
                    event="Fulfillment Updated",
                    trigger=order_event("101", "CANCELLED"),
                    created_at=datetime.now(UTC) - timedelta(minutes=2),
                )
            )
            await session.commit()
    finally:
        await config.get_engine().dispose()
    return str(execution_id)


async def test_an_orphaned_queued_execution_runs_after_a_start(
    modal_settings: Settings, isv: IsvFixture, bigcommerce: FakeBigCommerce, database_url: str
) -> None:
    bigcommerce.set_token(STORE_HASH, ACCESS_TOKEN)
    bigcommerce.add_order(STORE_HASH, 101)
    async with AsyncTestClient(app=create_app(modal_settings), base_url="http://t") as client:
        user_id = await installed_user(client, isv)
    execution_id = await _orphan(database_url, user_id)

    restarted = create_app(modal_settings)
    async with AsyncTestClient(app=restarted, base_url="http://testserver.local") as client:
        [workflow] = await rows(
            database_url, "SELECT id FROM workflow WHERE name = :n", n=FULFILLMENT_WORKFLOW
        )
        workflow_id = str(as_uuid(workflow["id"]))
        execution = await finished_execution(client, isv, workflow_id, user_id, execution_id)

    assert execution["status"] == "success", execution
    assert bigcommerce.order(STORE_HASH, 101)["status_id"] == 5  # CANCELLED -> Cancelled

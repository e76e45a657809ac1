"""Logs as ISV staff use it: a workflow's executions for one end user, newest first, page
by page, with each block's result and error and the errors list; Rerun queues the same
trigger data again (audit-logged); another ISV's ids are a 404; signed out, sign-in."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import page_token, post_form
from tests.support.dashboard_pages import audit_actions, signed_in
from tests.support.fake_bigcommerce import FakeBigCommerce
from tests.support.html import by_id, visible_text
from tests.support.runtime import (
    finished_execution,
    fulfillment_workflow_id,
    logs,
    order_event,
    send_event,
)
from tests.support.workflows import installed_user

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    return await signed_in(client, settings, isv, "sam@acme.test")


async def _run(client, isv, user_id, workflow_id, data) -> dict:
    sent = await send_event(client, isv, user_id, data)
    assert sent.status_code == 200, sent.text
    [execution_id] = sent.json()["executionIds"]
    return await finished_execution(client, isv, workflow_id, user_id, execution_id)


def _execution_ids(html: str) -> list[str]:
    return re.findall(r'name="execution_id" value="([^"]+)"', html)


async def test_executions_newest_first_with_block_errors_the_errors_list_and_rerun(
    dash: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce, database_url: str
) -> None:
    user_id = await installed_user(dash, isv, "gregg")
    workflow_id = await fulfillment_workflow_id(dash, isv, user_id)
    ok = await _run(dash, isv, user_id, workflow_id, order_event())
    failed = await _run(dash, isv, user_id, workflow_id, order_event("101", "LOST IN SPACE"))
    assert (ok["status"], failed["status"]) == ("success", "failed")

    empty = await dash.get("/dashboard/logs")
    assert empty.status_code == 200
    assert 'aria-current="page">Logs</a>' in empty.text
    assert "When a fulfillment status is updated" in visible_text(empty.text)  # the picker

    page = await dash.get("/dashboard/logs", params={"workflow_id": workflow_id, "user": "gregg"})
    assert page.status_code == 200
    assert _execution_ids(page.text) == [failed["executionId"], ok["executionId"]]
    text = visible_text(page.text)
    assert "Failed" in text and "Success" in text
    assert failed["blocks"][0]["error"] in text  # the block's error, beside the block
    errors = by_id(page.text, "errors-title")
    assert errors.text == "Errors"
    assert text.count(failed["blocks"][0]["error"]) == 2  # and in the errors list

    token = await page_token(dash, "/dashboard/logs")
    rerun = await post_form(
        dash,
        "/dashboard/logs/rerun",
        {"workflow_id": workflow_id, "user": "gregg", "execution_id": ok["executionId"]},
        token,
    )
    assert rerun.status_code == 303
    new_id = rerun.headers["location"].split("rerun=")[1]
    shown = await dash.get(rerun.headers["location"])
    assert new_id in by_id(shown.text, "rerun-status").text
    again = await finished_execution(dash, isv, workflow_id, user_id, new_id)
    assert again["status"] == "success"
    assert again["trigger"] == ok["trigger"]
    entries = await audit_actions(database_url)
    assert entries[-1] == {
        "action": "execution.rerun",
        "target_id": ok["executionId"],
        "environment": "development",
    }


async def test_executions_come_twenty_a_page(
    dash: AsyncTestClient, isv: IsvFixture, store: FakeBigCommerce
) -> None:
    user_id = await installed_user(dash, isv, "gregg")
    workflow_id = await fulfillment_workflow_id(dash, isv, user_id)
    for _ in range(21):
        sent = await send_event(dash, isv, user_id, order_event())
        assert sent.status_code == 200
    api = await logs(dash, isv, workflow_id, user_id, limit=100)
    newest_first = [e["executionId"] for e in api["data"]]
    assert len(newest_first) == 21

    first = await dash.get("/dashboard/logs", params={"workflow_id": workflow_id, "user": user_id})
    assert _execution_ids(first.text) == newest_first[:20]
    older = by_id(first.text, "older-executions").attrs["href"]
    second = await dash.get(older)
    assert _execution_ids(second.text) == newest_first[20:]
    assert 'id="older-executions"' not in second.text


async def test_unknown_users_other_isvs_ids_and_signed_out_are_refused(
    client: AsyncTestClient,
    settings: Settings,
    isv: IsvFixture,
    other_isv: IsvFixture,
    store: FakeBigCommerce,
) -> None:
    client.follow_redirects = False
    signed_out = await client.get("/dashboard/logs")
    assert signed_out.status_code == 303
    token = await page_token(client)
    posted = await post_form(client, "/dashboard/logs/rerun", {"workflow_id": "x"}, token)
    assert (posted.status_code, posted.headers["location"]) == (303, "/dashboard/sign-in")

    dash = await signed_in(client, settings, isv, "sam@acme.test")
    user_id = await installed_user(dash, isv, "gregg")
    workflow_id = await fulfillment_workflow_id(dash, isv, user_id)
    done = await _run(dash, isv, user_id, workflow_id, order_event())
    theirs = await installed_user(dash, other_isv, "olga")
    their_workflow = await fulfillment_workflow_id(dash, other_isv, theirs)

    nobody = await dash.get("/dashboard/logs", params={"workflow_id": workflow_id, "user": "zed"})
    assert nobody.status_code == 404
    assert "No end user 'zed' in the development environment." in visible_text(nobody.text)
    assert (
        await dash.get("/dashboard/logs", params={"workflow_id": their_workflow, "user": "gregg"})
    ).status_code == 404
    token = await page_token(dash, "/dashboard/logs")
    for form in (
        {"workflow_id": their_workflow, "user": "olga", "execution_id": done["executionId"]},
        {"workflow_id": workflow_id, "user": theirs, "execution_id": done["executionId"]},
        {"workflow_id": workflow_id, "user": "gregg", "execution_id": "not-an-id"},
    ):
        refused = await post_form(dash, "/dashboard/logs/rerun", form, token)
        assert refused.status_code == 404, form
        assert "belongs to another account" in refused.text
    assert len((await logs(dash, isv, workflow_id, user_id))["data"]) == 1  # no rerun made

"""The dashboard's pages as ISV staff use them: Integrations with their apps' icons, an
integration's Workflows and Installations tabs (full page or htmx fragment), the
environment switch on every page, another ISV's ids as a readable 404, and the audit log
newest first, page after page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from install_service.audit.services import record
from install_service.db.config import sqlalchemy_config
from install_service.db.models import StaffAccount
from install_service.db.transactions import write_transaction
from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.dashboard import make_staff, page_token, post_form, sign_in
from tests.support.html import by_id, visible_text
from tests.support.workflows import installed_user

pytestmark = pytest.mark.usefixtures("backend")

EMAIL = "ann@acme.test"


@pytest.fixture
async def dash(client: AsyncTestClient, settings: Settings, isv: IsvFixture) -> AsyncTestClient:
    """The test client signed in as AcmeCo's staff member ``EMAIL`` (redirects not followed)."""
    await make_staff(settings, isv.isv_id, EMAIL)
    client.follow_redirects = False
    response = await sign_in(client, EMAIL)
    assert response.status_code == 303, response.text
    return client


async def test_integrations_list_each_integration_with_its_app_icon(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    page = await dash.get("/dashboard/integrations")
    assert page.status_code == 200
    assert '<a href="/dashboard/integrations" aria-current="page">Integrations</a>' in page.text
    assert f'href="/dashboard/integrations/{isv.integration_id}"' in page.text
    assert 'src="/static/icons/bigcommerce.svg"' in page.text
    assert "BigCommerce · 2 workflows" in visible_text(page.text)
    assert "Environment: Development" in visible_text(page.text)


async def test_the_integration_page_shows_each_workflows_versions_and_status(
    dash: AsyncTestClient, isv: IsvFixture
) -> None:
    page = await dash.get(f"/dashboard/integrations/{isv.integration_id}")
    assert page.status_code == 200
    assert "<h1>BigCommerce</h1>" in page.text
    assert "<title>BigCommerce · AcmeCo" in page.text
    text = visible_text(page.text)
    assert "When a new order is created in BigCommerce" in text
    assert "v1 Released" in text
    assert 'aria-current="page">Workflows</a>' in page.text

    fragment = await dash.get(
        f"/dashboard/integrations/{isv.integration_id}/installations",
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'aria-current="page">Installations</a>' in fragment.text
    assert by_id(fragment.text, "integration-body").tag == "section"


async def test_installations_follow_the_environment_switch(
    dash: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    await installed_user(dash, isv, "gregg")
    tab = f"/dashboard/integrations/{isv.integration_id}/installations"
    text = visible_text((await dash.get(tab)).text)
    assert "gregg" in text and "v1 Active" in text

    token = await page_token(dash, tab)
    switched = await post_form(
        dash, "/dashboard/environment", {"environment": "production", "next": tab}, token
    )
    assert (switched.status_code, switched.headers["location"]) == (303, tab)
    text = visible_text((await dash.get(tab)).text)
    assert "Environment: Production" in text
    assert "gregg" not in text and "Nobody has installed BigCommerce in production yet." in text
    assert "Environment: Production" in visible_text((await dash.get("/dashboard/audit")).text)

    unknown = await post_form(dash, "/dashboard/environment", {"environment": "staging"}, token)
    assert unknown.status_code == 422
    assert "Environment must be one of development, production" in unknown.text


async def test_another_isvs_ids_answer_a_readable_404(
    dash: AsyncTestClient, other_isv: IsvFixture
) -> None:
    for path in (
        f"/dashboard/integrations/{other_isv.integration_id}",
        f"/dashboard/integrations/{other_isv.integration_id}/installations",
        "/dashboard/integrations/not-an-id",
        "/dashboard/no-such-page",
    ):
        response = await dash.get(path)
        assert response.status_code == 404, path
        assert "That page does not exist, or belongs to another account." in response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "OtherCo" not in response.text


async def test_the_audit_log_lists_entries_newest_first_page_by_page(
    dash: AsyncTestClient, settings: Settings, isv: IsvFixture
) -> None:
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            actor = await session.scalar(select(StaffAccount).where(StaffAccount.email == EMAIL))
            async with write_transaction(session):
                for n in range(55):
                    record(session, actor, "test.step", target_type="step", target_id=str(n))
    finally:
        await config.get_engine().dispose()

    first = await dash.get("/dashboard/audit")
    assert first.status_code == 200
    assert 'aria-current="page">Audit log</a>' in first.text
    assert _targets(first.text) == list(range(54, 4, -1))  # 50, newest first
    older = by_id(first.text, "older-entries").attrs["href"]
    second = await dash.get(older)
    assert _targets(second.text) == [4, 3, 2, 1, 0]
    assert "staff.sign_in" in second.text  # the oldest entry: this sign-in
    assert not _has_older(second.text)


def _targets(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"step <code>(\d+)</code>", html)]


def _has_older(html: str) -> bool:
    return 'id="older-entries"' in html

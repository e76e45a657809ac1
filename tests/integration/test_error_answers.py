"""Every kind of "not found" answers the API's 404 JSON error, never a 500."""

from __future__ import annotations

import pytest
from advanced_alchemy.exceptions import NotFoundError
from litestar import get
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import NoResultFound

from install_service.app import create_app
from install_service.errors import NotFound
from install_service.links.services import BadLink

pytestmark = pytest.mark.usefixtures("backend")


@get("/probe/sqlalchemy", sync_to_thread=False)
def _sqlalchemy_missing_row() -> None:
    raise NoResultFound("No row was found when one was required")


@get("/probe/repository", sync_to_thread=False)
def _repository_missing_row() -> None:
    raise NotFoundError("No item found when one was expected")


@get("/probe/domain", sync_to_thread=False)
def _domain_not_found() -> None:
    raise NotFound("Workflow not found", code="workflow_not_found")


@get("/probe/bad-link", sync_to_thread=False)
def _domain_bad_request() -> None:
    raise BadLink("This install link is not valid.")


@pytest.mark.parametrize("path", ["/probe/sqlalchemy", "/probe/repository"])
async def test_a_library_missing_row_answers_404_json(settings, path: str) -> None:
    app = create_app(settings)
    app.register(_sqlalchemy_missing_row)
    app.register(_repository_missing_row)
    async with AsyncTestClient(app=app) as client:
        answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.json() == {"message": "Not found", "code": "not_found"}


async def test_domain_errors_keep_their_status_and_code(settings) -> None:
    app = create_app(settings)
    app.register(_domain_not_found)
    app.register(_domain_bad_request)
    async with AsyncTestClient(app=app) as client:
        missing = await client.get("/probe/domain")
        bad = await client.get("/probe/bad-link")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Workflow not found", "code": "workflow_not_found"}
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_link"


async def test_malformed_ids_answer_404_on_every_kind_of_id(client, isv) -> None:
    """A malformed id is just an id that matches nothing (``db.lookups.get_or_404``)."""
    for path in (
        "/2024-03/webhooks/deliveries/not-a-uuid",
        "/2024-03/workflows/not-a-uuid?userId=nobody",
        "/2024-03/links/not-a-uuid",
    ):
        method = client.delete if path.startswith("/2024-03/links") else client.get
        answer = await method(path, headers=isv.headers)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["code"].endswith("not_found")

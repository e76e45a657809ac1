"""Every icon URL the API hands out is served: apps, integrations and workflow blocks.

Walks the real answers of ``GET /2024-03/apps``, ``/integrations`` and ``/workflows`` (one
and many, with an API key and with a user token) after the ISV published a version whose
blocks have every kind of icon (the app's, a built-in block type's, the generic one).
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import IsvFixture
from tests.support.installs import new_user
from tests.support.workflows import STREAM, TRIGGER, installed_user, publish, workflows_of

pytestmark = pytest.mark.usefixtures("backend")

API = "/2024-03"
# A block type with no icon of its own (the custom event's icon comes from the example's
# second workflow, whose first block is a customEvent trigger).
UNTYPED = {"id": "only-paid", "type": "filter", "name": "Only paid orders", "condition": "paid"}


def icons_in(answer: Any) -> set[str]:
    """Every ``icon`` value anywhere in a JSON answer."""
    if isinstance(answer, dict):
        found = {answer["icon"]} if isinstance(answer.get("icon"), str) else set()
        return found.union(*(icons_in(v) for v in answer.values()))
    if isinstance(answer, list):
        return set().union(*(icons_in(v) for v in answer))
    return set()


async def answers(client, isv: IsvFixture, user_id: str, token: str) -> list[Any]:
    """The catalogue, integration and workflow answers, each asserted 200."""
    user = {"userId": user_id}
    end_user = {"x-alloy-user-token": token}
    calls = [
        ("/apps", {}, isv.headers),
        ("/integrations", user, isv.headers),
        (f"/integrations/{isv.integration_id}", user, isv.headers),
        ("/workflows", user, isv.headers),
        ("/integrations", {}, end_user),
        ("/workflows", {}, end_user),
    ]
    workflow_ids = list(await workflows_of(client, isv, user_id))
    calls += [(f"/workflows/{w}", user, isv.headers) for w in workflow_ids]
    found = []
    for path, params, headers in calls:
        response = await client.get(API + path, params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        found.append(response.json())
    return found


async def test_every_icon_url_in_the_api_answers_is_an_svg_the_service_serves(
    client, isv: IsvFixture
) -> None:
    user_id = await installed_user(client, isv)
    newcomer_id, token = await new_user(client, isv, "newcomer")
    first = next(iter(await workflows_of(client, isv, user_id)))
    await publish(client, isv, first, [TRIGGER, STREAM, UNTYPED])

    icons = set()
    for who in (user_id, newcomer_id):  # the installed version's blocks, and the newest's
        icons |= set().union(*(icons_in(a) for a in await answers(client, isv, who, token)))

    paths = {icon.removeprefix("http://testserver.local") for icon in icons}
    assert {
        "/static/icons/bigcommerce.svg",
        "/static/icons/netsuite.svg",
        "/static/icons/shopify.svg",
        "/static/icons/stream-data.svg",
        "/static/icons/custom-event.svg",
        "/static/icons/block.svg",
    } <= paths
    assert all(icon.startswith("http://testserver.local/static/icons/") for icon in icons)
    for icon in sorted(icons):
        served = await client.get(icon)
        assert served.status_code == 200, icon
        assert served.headers["content-type"].startswith("image/svg+xml"), icon
        assert served.text.lstrip().startswith("<svg") and "<title>" in served.text, icon

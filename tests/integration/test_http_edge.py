"""The HTTP edge on real answers, on SQLite and PostgreSQL: malformed JSON is 400 on every
JSON route, every answer carries the security headers, empty query values are ignored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from install_service.events.controllers import MAX_EVENT_BYTES
from tests.conftest import HOST_ORIGIN, IsvFixture
from tests.support.db_rows import count
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")


BAD_BODIES = {
    "nested 65 deep": b'{"a":' * 65 + b"1" + b"}" * 65,
    "nested 100000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "lone surrogate": b'{"username": "\\ud800", "workflowId": "\\ud800"}',
    "NUL in a string": b'{"username": "gre\\u0000gg", "workflowId": "w\\u0000", "app": "x\\u0000"}',
    "trailing comma": b'{"username": "gregg",}',
    "bare number": b"42",
    "bare string": b'"gregg"',
    "null": b"null",
}
JSON = {"content-type": "application/json"}


def json_routes(app: Litestar, user_ref: str) -> list[tuple[str, str]]:
    """(method, path) of every POST/PUT/PATCH route under /2024-03/, path parameters
    filled in (``user_ref`` a real user, the rest a placeholder id)."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/2024-03/"):
            continue
        path = re.sub(r"\{user_ref:str\}", user_ref, route.path)
        path = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        found += [(method, path) for method in sorted(route.methods & {"POST", "PUT", "PATCH"})]
    return found


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_malformed_json_is_400_on_every_json_route(
    app: Litestar, client: AsyncTestClient, isv: IsvFixture, database_url: str, body: bytes
) -> None:
    user_id, token = await new_user(client, isv)
    routes = json_routes(app, user_id)
    assert ("POST", "/2024-03/users") in routes and ("PUT", "/2024-03/workflows/activate") in routes
    for method, path in routes:
        for headers in (isv.headers, {"x-alloy-user-token": token, "origin": HOST_ORIGIN}):
            answer = await client.request(method, path, content=body, headers=headers | JSON)
            if path.endswith("/run/event") and len(body) > MAX_EVENT_BYTES:
                assert answer.status_code == 413, answer.text  # refused before it is read
                assert answer.json()["code"] == "payload_too_large"
                continue
            assert answer.status_code == 400, (method, path, answer.text)
            assert set(answer.json()) == {"message", "code"}, (method, path)
            assert answer.json()["code"] == "bad_request" and answer.json()["message"]
    assert await count(database_url, "end_user") == 1  # only the one new_user made


async def test_api_answers_are_nosniff_not_framed_and_never_cached(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id, _ = await new_user(client, isv)
    answers = {
        "token": await client.get(f"/2023-12/users/{user_id}/token", headers=isv.headers),
        "install-url": await client.get(
            f"/2024-03/users/{user_id}/integrations/{isv.integration_id}/install-url",
            headers=isv.headers,
        ),
        "credential refused": await client.post(
            f"/2025-09/users/{user_id}/credentials",
            json={"app": "bigcommerce", "data": {"storeHash": "abc123"}},
            headers=isv.headers,
        ),
        "users": await client.get("/2023-12/users", headers=isv.headers),
        "401": await client.get("/2023-12/users"),
        "404 unknown API path": await client.get("/2023-12/nothing-here", headers=isv.headers),
    }
    for name, answer in answers.items():
        assert answer.headers["cache-control"] == "no-store", name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["x-frame-options"] == "DENY", name
        assert answer.headers["content-security-policy"] == "frame-ancestors 'none'", name


async def test_static_files_and_unknown_pages_are_nosniff_and_not_framed(
    client: AsyncTestClient,
) -> None:
    for path, status in (("/static/embedded.js", 200), ("/nowhere", 404), ("/health", 200)):
        answer = await client.get(path)
        assert answer.status_code == status, path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
    wrong_method = await client.delete("/health")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["x-content-type-options"] == "nosniff"


async def test_token_pages_send_no_referrer_and_the_modal_keeps_its_frame_ancestors(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id, token = await new_user(client, isv)
    modal = await client.get(
        "/forge-install", params={"integrationId": isv.integration_id, "token": token}
    )
    link = await client.get(
        f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url",
        headers=isv.headers,
    )
    url = urlsplit(link.json()["url"])
    hosted = await client.get(f"{url.path}?{url.query}")
    bad_token = await client.get(
        "/forge-install", params={"integrationId": isv.integration_id, "token": "not-a-jwt"}
    )
    no_integration = await client.get("/forge-install", params={"token": token})
    assert no_integration.status_code >= 400
    pages = {"modal": modal, "hosted": hosted, "bad token": bad_token, "no id": no_integration}
    for name, page in pages.items():
        assert page.headers["referrer-policy"] == "no-referrer", name
        assert page.headers["x-content-type-options"] == "nosniff", name
    assert modal.status_code == 200 and hosted.status_code == 200
    assert f"frame-ancestors {HOST_ORIGIN}" in modal.headers["content-security-policy"]
    assert "x-frame-options" not in modal.headers  # it would forbid the ISV's own frame
    assert "frame-ancestors 'none'" in hosted.headers["content-security-policy"]


async def test_empty_query_values_take_the_defaults(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    user_id, token = await new_user(client, isv)
    link = await client.get(
        f"/2023-12/users/{user_id}/integrations/{isv.integration_id}/install-url"
        "?expiresIn=&redirectUrl=",
        headers=isv.headers,
    )
    assert link.status_code == 200, link.text
    expires = datetime.fromisoformat(link.json()["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)
    by_query = await client.get(
        f"/2023-12/install-url?userId={user_id}&integrationId={isv.integration_id}&expiresIn=",
        headers=isv.headers,
    )
    assert by_query.status_code == 200, by_query.text
    users = await client.get("/2023-12/users?limit=&cursor=", headers=isv.headers)
    assert users.status_code == 200 and [u["userId"] for u in users.json()["data"]] == [user_id]
    deliveries = await client.get("/2023-12/webhooks/deliveries?status=", headers=isv.headers)
    assert deliveries.status_code == 200, deliveries.text
    as_user = await client.get(
        "/2024-03/integrations?userId=", headers={"x-alloy-user-token": token}
    )
    assert as_user.status_code == 200, as_user.text  # the user comes from the token

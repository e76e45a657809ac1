"""The dashboard's door: signed out, every page and action leads to the sign-in page; the
sign-in form refuses a wrong password and an unknown email alike and keeps the email;
failures are rate limited; the session cookie is HttpOnly, SameSite=Lax, Secure under https;
sign-out and a password reset end a session on the server; every form needs its CSRF token;
dashboard answers are never cached or framed; the API and modal are untouched."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from install_service.app import create_app
from install_service.db.config import sqlalchemy_config
from install_service.settings import Settings
from install_service.staff.services import reset_password
from tests.conftest import IsvFixture
from tests.support.dashboard import PASSWORD, make_staff, page_token, post_form, sign_in
from tests.support.db_rows import count, rows

pytestmark = pytest.mark.usefixtures("backend")

EMAIL = "ann@acme.test"
SIGN_IN_LIMIT = 3


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return create_app(replace(settings, rate_limit_sign_in=("minute", SIGN_IN_LIMIT)))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.follow_redirects = False
        yield test_client


@pytest.fixture
async def staff(settings: Settings, isv: IsvFixture) -> str:
    return await make_staff(settings, isv.isv_id, EMAIL)


def pages(isv: IsvFixture) -> list[str]:
    integration = f"/dashboard/integrations/{isv.integration_id}"
    return [
        "/dashboard",
        "/dashboard/integrations",
        integration,
        f"{integration}/installations",
        "/dashboard/audit",
        "/dashboard/no-such-page",
    ]


async def test_signed_out_every_page_and_action_leads_to_sign_in(
    client: AsyncTestClient, isv: IsvFixture, staff: str, database_url: str
) -> None:
    for path in pages(isv):
        response = await client.get(path)
        assert response.status_code == 303, path
        expected = "/dashboard/sign-in" if path == "/dashboard" else "/dashboard/sign-in?next="
        assert response.headers["location"].startswith(expected), path
    response = await client.get(f"/dashboard/integrations/{isv.integration_id}")
    assert response.headers["location"] == (
        f"/dashboard/sign-in?next=%2Fdashboard%2Fintegrations%2F{isv.integration_id}"
    )
    htmx = await client.get("/dashboard/audit", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/dashboard/sign-in?next=%2Fdashboard%2Faudit"

    token = await page_token(client)  # a valid CSRF token, but no session
    for path, data in (
        ("/dashboard/environment", {"environment": "production"}),
        ("/dashboard/sign-out", {}),
    ):
        response = await post_form(client, path, data, token)
        assert (response.status_code, response.headers["location"]) == (303, "/dashboard/sign-in")
    assert await count(database_url, "audit_entry") == 0


def every_dashboard_route(app: Litestar, isv: IsvFixture) -> list[tuple[str, str]]:
    """(method, path) of every dashboard route but sign-in, path parameters filled with this
    ISV's integration id (so a route that checks its ids has something real to find)."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/dashboard") or route.path.startswith("/dashboard/sign-in"):
            continue
        path = re.sub(r"\{[^}]+\}", isv.integration_id, route.path)
        for method in sorted(getattr(route, "methods", ())):
            if method in {"GET", "POST"}:
                found.append((method, path))
    return found


async def test_signed_out_no_route_of_the_dashboard_answers_but_with_sign_in(
    app: Litestar, client: AsyncTestClient, isv: IsvFixture, staff: str, database_url: str
) -> None:
    routes = every_dashboard_route(app, isv)
    token = await page_token(client)

    for method, path in routes:
        if method == "GET":
            response = await client.get(path)
        else:
            response = await post_form(client, path, {"confirm": "yes"}, token)
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/dashboard/sign-in"), (method, path)

    assert {"GET", "POST"} <= {method for method, _ in routes} and len(routes) > 20
    assert await count(database_url, "audit_entry") == 0


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer_and_keep_the_email(
    client: AsyncTestClient, staff: str
) -> None:
    wrong = await sign_in(client, EMAIL, "not the password at all")
    unknown = await sign_in(client, "nobody@acme.test", PASSWORD)
    for response, email in ((wrong, EMAIL), (unknown, "nobody@acme.test")):
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert f'value="{email}"' in response.text
        assert "dashboard_session=" not in response.headers.get("set-cookie", "")
    assert wrong.text.replace(EMAIL, "X") == unknown.text.replace("nobody@acme.test", "X")

    empty = await sign_in(client, EMAIL, "")
    assert empty.status_code == 422
    assert "Enter your password." in empty.text and f'value="{EMAIL}"' in empty.text


async def test_sign_in_goes_where_the_user_was_going_on_this_site_only(
    client: AsyncTestClient, isv: IsvFixture, staff: str
) -> None:
    target = f"/dashboard/integrations/{isv.integration_id}"
    response = await sign_in(client, EMAIL.upper(), next_path=target)
    assert (response.status_code, response.headers["location"]) == (303, target)
    assert (await client.get(target)).status_code == 200
    for hostile in ("//evil.example/x", "https://evil.example", "/\\evil.example", "/dashboardx"):
        client.cookies.clear()
        response = await sign_in(client, EMAIL, next_path=hostile)
        assert response.headers["location"] == "/dashboard", hostile


async def test_failed_sign_ins_are_rate_limited_per_address(
    client: AsyncTestClient, staff: str
) -> None:
    for n in range(SIGN_IN_LIMIT):
        response = await sign_in(client, f"guess{n}@acme.test", "wrong password guess")
        assert response.status_code == 401
    refused = await sign_in(client, EMAIL)  # the right password, from a blocked address
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.text
    assert f'value="{EMAIL}"' in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "dashboard_session=" not in refused.headers.get("set-cookie", "")


async def test_the_session_cookie_is_httponly_lax_on_dashboard_paths(
    client: AsyncTestClient, staff: str, database_url: str
) -> None:
    response = await sign_in(client, EMAIL)
    cookie = next(c for c in response.headers.get_list("set-cookie") if "dashboard_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http here
    session_id = client.cookies["dashboard_session"]
    stored = await rows(database_url, "SELECT key_digest, data FROM dashboard_session")
    assert len(stored) == 1 and session_id not in stored[0]["key_digest"]


async def test_under_an_https_public_url_the_cookies_are_secure(
    settings: Settings, isv: IsvFixture, staff: str
) -> None:
    app = create_app(replace(settings, public_url="https://install.example.com"))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        client.follow_redirects = False
        response = await sign_in(client, EMAIL)
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        assert any("dashboard_session=" in c and "Secure" in c for c in cookies)
        page = await client.get("/dashboard/sign-in")
        assert all("Secure" in c for c in page.headers.get_list("set-cookie"))


async def test_sign_out_ends_the_session_on_the_server(
    client: AsyncTestClient, staff: str, database_url: str
) -> None:
    await sign_in(client, EMAIL)
    stolen = client.cookies["dashboard_session"]
    token = await page_token(client, "/dashboard/integrations")
    response = await post_form(client, "/dashboard/sign-out", {}, token)
    assert (response.status_code, response.headers["location"]) == (303, "/dashboard/sign-in")
    assert await count(database_url, "dashboard_session") == 0
    client.cookies.set("dashboard_session", stolen, path="/dashboard")
    assert (await client.get("/dashboard/integrations")).status_code == 303
    actions = [r["action"] for r in await rows(database_url, "SELECT action FROM audit_entry")]
    assert sorted(actions) == ["staff.sign_in", "staff.sign_out"]


async def test_a_password_reset_ends_open_sessions(
    client: AsyncTestClient, staff: str, settings: Settings
) -> None:
    await sign_in(client, EMAIL)
    assert (await client.get("/dashboard/integrations")).status_code == 200
    config = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            await reset_password(session, EMAIL, "a brand new long password")
    finally:
        await config.get_engine().dispose()
    assert (await client.get("/dashboard/integrations")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: AsyncTestClient, staff: str, database_url: str
) -> None:
    await client.get("/dashboard/sign-in")
    refused = await client.post("/dashboard/sign-in", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 403
    assert "This form expired" in refused.text

    await sign_in(client, EMAIL)
    token = await page_token(client, "/dashboard/integrations")
    for data in (
        {"environment": "production"},
        {"environment": "production", "_csrf_token": "x" * 128},
    ):
        response = await client.post("/dashboard/environment", data=data)
        assert response.status_code == 403
    assert "Development" in (await client.get("/dashboard/integrations")).text
    # htmx sends the token as a header (hx-headers in the layout)
    response = await client.post(
        "/dashboard/environment",
        data={"environment": "production"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    actions = [r["action"] for r in await rows(database_url, "SELECT action FROM audit_entry")]
    assert sorted(actions) == ["environment.switch", "staff.sign_in"]


async def test_dashboard_answers_are_never_cached_or_framed(
    client: AsyncTestClient, isv: IsvFixture, other_isv: IsvFixture, staff: str
) -> None:
    answers = [await client.get("/dashboard/sign-in"), await client.get("/dashboard/audit")]
    await sign_in(client, EMAIL)
    answers += [
        await client.get("/dashboard/integrations"),
        await client.get(f"/dashboard/integrations/{other_isv.integration_id}"),
    ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_api_and_the_modal_need_no_session_or_csrf_token(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    created = await client.post("/2023-12/users", json={"username": "u1"}, headers=isv.headers)
    assert created.status_code == 201
    assert "csrf" not in created.headers.get("set-cookie", "")
    assert "dashboard" not in created.headers.get("set-cookie", "")
    token = await client.get(
        f"/2023-12/users/{created.json()['userId']}/token", headers=isv.headers
    )
    assert token.status_code == 200

"""Driving the dashboard as a browser would: CSRF tokens from the page, form posts, sign-in."""

from __future__ import annotations

import re

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.testing import AsyncTestClient

from install_service.db.config import sqlalchemy_config
from install_service.settings import Settings
from install_service.staff.services import create_account

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def make_staff(settings: Settings, isv_id: str, email: str, password: str = PASSWORD) -> str:
    """A staff account of ``isv_id``, created through the service; returns its id."""
    config: SQLAlchemyAsyncConfig = sqlalchemy_config(settings.database_url)
    try:
        async with config.get_session() as session:
            return str((await create_account(session, isv_id, email, password)).id)
    finally:
        await config.get_engine().dispose()


def csrf_token(html: str) -> str:
    """The ``_csrf_token`` of the first form in a page."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def page_token(client: AsyncTestClient, path: str = "/dashboard/sign-in") -> str:
    """GET ``path`` (setting the CSRF cookie) and return the token its forms carry."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_token(response.text)


async def post_form(client: AsyncTestClient, path: str, data: dict[str, str], token: str):
    return await client.post(path, data={**data, "_csrf_token": token})


async def sign_in(
    client: AsyncTestClient, email: str, password: str = PASSWORD, next_path: str = ""
):
    """Submit the sign-in form as a person would (the page's CSRF token included)."""
    token = await page_token(client)
    return await post_form(
        client,
        "/dashboard/sign-in",
        {"email": email, "password": password, "next": next_path},
        token,
    )


async def signed_in(
    client: AsyncTestClient, settings: Settings, isv_id: str, email: str
) -> AsyncTestClient:
    """``client`` signed in as a new staff account ``email`` of ``isv_id`` (redirects not
    followed, so a test sees each 303)."""
    await make_staff(settings, isv_id, email)
    client.follow_redirects = False
    response = await sign_in(client, email)
    assert response.status_code == 303, response.text
    return client

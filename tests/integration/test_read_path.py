"""The read path: few statements per listing, and authentication from the process's cache
that never outlives a revocation made in this process. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from sqlalchemy import event

from tests.conftest import IsvFixture
from tests.support.installs import new_user
from tests.support.workflows import BASE, installed_user

pytestmark = pytest.mark.usefixtures("backend")
OVERHEAD = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
# True inside the measured request: its statements run in its context (SQLAlchemy's async
# greenlets carry the caller's context), the service's background tasks in their own.
_IN_REQUEST: ContextVar[bool] = ContextVar("in_request", default=False)


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements our engine runs for the measured request inside the block
    (transaction control left out; background work, such as the webhook worker's polls, runs
    in contexts of its own and is not counted)."""
    seen: list[str] = []
    engine = app.plugins.get(SQLAlchemyPlugin).config[0].get_engine().sync_engine

    def record(_conn, _cursor, statement: str, *_args) -> None:
        if _IN_REQUEST.get() and not statement.lstrip().upper().startswith(OVERHEAD):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", ["/integrations", "/workflows"])
async def test_a_listing_for_a_user_takes_two_statements_with_an_api_key(
    app, client, isv: IsvFixture, path: str
) -> None:
    user_id = await installed_user(client, isv)
    first = await client.get(BASE + path, params={"userId": user_id}, headers=isv.headers)
    again, seen = await fewest(
        app, lambda: client.get(BASE + path, params={"userId": user_id}, headers=isv.headers)
    )
    assert again.status_code == 200 and again.json() == first.json()
    assert any(w["installed"] for w in _workflows(again.json()["data"], path))
    assert len(seen) <= 2, seen  # the user, then the listing; the API key came from the cache


async def test_a_listing_for_a_token_takes_one_statement(app, client, isv: IsvFixture) -> None:
    user_id = await installed_user(client, isv)
    token = (await client.get(f"{BASE}/users/{user_id}/token", headers=isv.headers)).json()
    headers = {"x-alloy-user-token": token["token"]}
    assert (await client.get(f"{BASE}/integrations", headers=headers)).status_code == 200
    answer, seen = await fewest(app, lambda: client.get(f"{BASE}/integrations", headers=headers))
    assert answer.status_code == 200 and len(seen) <= 1, seen


async def test_get_user_takes_one_statement(app, client, isv: IsvFixture) -> None:
    user_id, _ = await new_user(client, isv)
    await client.get(f"{BASE}/users/{user_id}", headers=isv.headers)
    answer, seen = await fewest(
        app, lambda: client.get(f"{BASE}/users/{user_id}", headers=isv.headers)
    )
    assert answer.json()["userId"] == user_id and len(seen) == 1, seen


async def test_a_deleted_users_cached_token_stops_working_at_once(client, isv: IsvFixture) -> None:
    user_id, token = await new_user(client, isv)
    headers = {"x-alloy-user-token": token}
    assert (await client.get(f"{BASE}/integrations", headers=headers)).status_code == 200
    deleted = await client.delete(f"{BASE}/users/{user_id}", headers=isv.headers)
    assert deleted.status_code == 200
    answer = await client.get(f"{BASE}/integrations", headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "token_unknown_user"


async def test_a_renamed_user_is_seen_by_their_cached_token(client, isv: IsvFixture) -> None:
    user_id, token = await new_user(client, isv, "before")
    headers = {"x-alloy-user-token": token}
    assert (await client.get(f"{BASE}/integrations", headers=headers)).status_code == 200
    renamed = await client.put(
        f"{BASE}/users/{user_id}", json={"username": "after"}, headers=isv.headers
    )
    assert renamed.status_code == 200
    by_new_name = await client.get(
        f"{BASE}/integrations", params={"userId": "after"}, headers=headers
    )
    assert by_new_name.status_code == 200


async def test_webhook_settings_changed_here_are_read_back_at_once(client, isv: IsvFixture) -> None:
    assert (await client.get(f"{BASE}/webhooks/settings", headers=isv.headers)).status_code == 200
    moved = "https://93.184.215.14/moved"
    changed = await client.put(
        f"{BASE}/webhooks/settings", json={"webhookUrl": moved}, headers=isv.headers
    )
    assert changed.status_code == 200, changed.text
    read = await client.get(f"{BASE}/webhooks/settings", headers=isv.headers)
    assert read.json()["webhookUrl"] == moved


async def fewest(app, request) -> tuple[object, list[str]]:
    """The answer to ``request()`` and its statements, the fewest of five tries (work the
    request itself starts in the background, such as an install's hook sync, may add some)."""
    tries = []
    for _ in range(5):
        with statements(app) as seen:
            measured = _IN_REQUEST.set(True)
            try:
                answer = await request()
            finally:
                _IN_REQUEST.reset(measured)
        tries.append((answer, seen))
    return min(tries, key=lambda t: len(t[1]))


def _workflows(data: list[dict], path: str) -> list[dict]:
    return data if path == "/workflows" else [w for i in data for w in i["workflows"]]

"""Usernames and full names with control or bidi characters, or too long, are refused
(422) and change nothing: on create, batch create and update, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from install_service.users.schemas import FULL_NAME_MAX_CHARS, USERNAME_MAX_CHARS
from tests.conftest import IsvFixture
from tests.support.db_rows import count

pytestmark = pytest.mark.usefixtures("backend")

BAD_NAMES = {
    "BEL (C0)": "gre\u0007gg",
    "newline": "gregg\n",
    "tab": "gre\tgg",
    "DEL": "gregg\u007f",
    "NEL (C1)": "gre\u0085gg",
    "CSI (C1)": "gregg\u009b",
    "right-to-left override": "gregg\u202egpj.exe",
    "left-to-right embedding": "\u202agregg",
    "first strong isolate": "gre\u2068gg",
    "pop directional isolate": "gregg\u2069",
    "line separator": "gre\u2028gg",
}
TOO_LONG = {
    "username": "u" * (USERNAME_MAX_CHARS + 1),
    "fullName": "f" * (FULL_NAME_MAX_CHARS + 1),
}


def bodies(name: str) -> list[dict[str, str]]:
    return [{"username": name}, {"username": "gregg", "fullName": name}]


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
async def test_a_name_with_a_control_or_bidi_character_is_422_and_creates_nothing(
    client: AsyncTestClient, isv: IsvFixture, database_url: str, name: str
) -> None:
    for body in bodies(name):
        created = await client.post("/2023-12/users", json=body, headers=isv.headers)
        batch = await client.post(
            "/2023-12/users/batch", json={"users": [{"username": "ok"}, body]}, headers=isv.headers
        )
        for answer in (created, batch):
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["code"] == "validation_error"
            assert "control or bidi" in answer.json()["message"]
    assert await count(database_url, "end_user") == 0


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
async def test_a_name_with_a_control_or_bidi_character_never_replaces_a_good_one(
    client: AsyncTestClient, isv: IsvFixture, name: str
) -> None:
    user = await client.post(
        "/2023-12/users", json={"username": "gregg", "fullName": "Gregg P"}, headers=isv.headers
    )
    user_id = user.json()["userId"]
    for field in ("username", "fullName"):
        answer = await client.put(
            f"/2023-12/users/{user_id}", json={field: name}, headers=isv.headers
        )
        assert answer.status_code == 422, (field, answer.text)
    kept = (await client.get(f"/2023-12/users/{user_id}", headers=isv.headers)).json()
    assert (kept["username"], kept["fullName"]) == ("gregg", "Gregg P")


async def test_names_over_the_documented_lengths_are_422_and_at_the_limit_are_kept(
    client: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    for field, value in TOO_LONG.items():
        body = {"username": "gregg", field: value}
        created = await client.post("/2023-12/users", json=body, headers=isv.headers)
        assert created.status_code == 422, field
    assert await count(database_url, "end_user") == 0
    longest = {"username": "u" * USERNAME_MAX_CHARS, "fullName": "f" * FULL_NAME_MAX_CHARS}
    created = await client.post("/2023-12/users", json=longest, headers=isv.headers)
    assert created.status_code == 201, created.text
    user = await client.get(f"/2023-12/users/{created.json()['userId']}", headers=isv.headers)
    assert (user.json()["username"], user.json()["fullName"]) == tuple(longest.values())


async def test_a_nul_character_is_refused_as_malformed_json_and_creates_nothing(
    client: AsyncTestClient, isv: IsvFixture, database_url: str
) -> None:
    """PostgreSQL cannot store NUL in text: it never reaches the names check (400, not 422)."""
    for body in bodies("gre\u0000gg"):
        answer = await client.post("/2023-12/users", json=body, headers=isv.headers)
        assert answer.status_code == 400 and answer.json()["code"] == "bad_request"
    assert await count(database_url, "end_user") == 0


async def test_ordinary_unicode_names_are_accepted(
    client: AsyncTestClient, isv: IsvFixture
) -> None:
    body = {"username": "grégg.ö-李", "fullName": "Grégoire Ønnis 李 مرحبا 😀"}
    created = await client.post("/2023-12/users", json=body, headers=isv.headers)
    assert created.status_code == 201, created.text
    user = await client.get(f"/2023-12/users/{created.json()['userId']}", headers=isv.headers)
    assert user.json()["fullName"] == body["fullName"]

"""Rate limits: per API key on the ISV API, per end user on the end-user API, per client
address for failed authentications; 429 with Retry-After and RateLimit-* headers; one
caller's limit never touches another's, and no spelling of a credential escapes its own."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import Litestar

from install_service.app import create_app
from install_service.security.keys import load_keys
from install_service.security.user_tokens import UserTokens
from install_service.settings import Settings
from tests.conftest import HOST_ORIGIN, IsvFixture
from tests.support.db_rows import rows
from tests.support.installs import new_user

pytestmark = pytest.mark.usefixtures("backend")

API_LIMIT = 6
USER_LIMIT = 3
AUTH_FAILURE_LIMIT = 4


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return create_app(
        replace(
            settings,
            rate_limit_api=("minute", API_LIMIT),
            rate_limit_user=("minute", USER_LIMIT),
            rate_limit_auth_failures=("minute", AUTH_FAILURE_LIMIT),
        )
    )


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"message": response.json()["message"], "code": "rate_limited"}
    assert "retry in" in response.json()["message"]
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["ratelimit-remaining"] == "0"
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 60


async def test_an_api_key_over_its_limit_gets_429_and_changes_nothing(
    client, isv: IsvFixture, other_isv: IsvFixture, database_url: str
) -> None:
    seen = []
    for n in range(API_LIMIT):
        response = await client.post(
            "/2023-12/users", json={"username": f"user{n}"}, headers=isv.headers
        )
        assert response.status_code == 201
        seen.append(int(response.headers["ratelimit-remaining"]))
        assert response.headers["ratelimit-limit"] == str(API_LIMIT)
        assert response.headers["ratelimit-policy"] == f"{API_LIMIT}; w=60"
    assert seen == list(range(API_LIMIT - 1, -1, -1))

    refused = await client.post(
        "/2023-12/users", json={"username": "one-too-many"}, headers=isv.headers
    )
    assert_rate_limited(refused)
    assert str(API_LIMIT) in refused.json()["message"] and "minute" in refused.json()["message"]
    assert_rate_limited(
        await client.get("/2024-03/users", headers=isv.headers)
    )  # every version, every route

    other = await client.get("/2023-12/users", headers=other_isv.headers)
    assert other.status_code == 200 and other.headers["ratelimit-remaining"] == str(API_LIMIT - 1)
    usernames = {
        row["username"] for row in await rows(database_url, "SELECT username FROM end_user")
    }
    assert usernames == {f"user{n}" for n in range(API_LIMIT)}


async def test_a_user_token_over_its_limit_gets_429_and_others_are_untouched(
    client, isv: IsvFixture
) -> None:
    gregg_id, gregg = await new_user(client, isv, "gregg")
    _, ann = await new_user(client, isv, "ann")
    for n in range(USER_LIMIT):
        response = await client.get("/2024-03/workflows", headers={"x-alloy-user-token": gregg})
        assert response.status_code == 200
        assert response.headers["ratelimit-remaining"] == str(USER_LIMIT - 1 - n)
    assert_rate_limited(
        await client.get("/2024-03/integrations", headers={"x-alloy-user-token": gregg})
    )
    assert_rate_limited(
        await client.put(
            "/2024-03/workflows/activate",
            json={"workflowId": "x"},
            headers={"x-alloy-user-token": gregg},
        )
    )

    assert (
        await client.get("/2024-03/workflows", headers={"x-alloy-user-token": ann})
    ).status_code == 200
    by_key = await client.get(f"/2024-03/workflows?userId={gregg_id}", headers=isv.headers)
    assert by_key.status_code == 200 and by_key.headers["ratelimit-limit"] == str(API_LIMIT)


async def test_a_browser_can_read_the_429(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    headers = {"x-alloy-user-token": token, "Origin": HOST_ORIGIN}
    for _ in range(USER_LIMIT):
        assert (await client.get("/2024-03/workflows", headers=headers)).status_code == 200
    refused = await client.get("/2024-03/workflows", headers=headers)
    assert_rate_limited(refused)
    assert refused.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert "Retry-After" in refused.headers["access-control-expose-headers"]


async def test_api_calls_without_a_key_count_per_client_address(client, isv: IsvFixture) -> None:
    for _ in range(API_LIMIT):
        assert (await client.get("/2023-12/users")).status_code == 401
    assert_rate_limited(await client.get("/2023-12/users"))
    assert (await client.get("/2023-12/users", headers=isv.headers)).status_code == 200


async def test_pages_and_static_files_are_not_limited(client, isv: IsvFixture) -> None:
    for _ in range(API_LIMIT + 1):
        script = await client.get("/static/embedded.js")
        assert script.status_code == 200 and "ratelimit-limit" not in script.headers


def as_user(token: str, **extra: str) -> dict[str, str]:
    return {"x-alloy-user-token": token, **extra}


async def test_every_token_of_one_user_counts_against_that_user(
    client, isv: IsvFixture, settings: Settings
) -> None:
    user_id, token = await new_user(client, isv)
    for _ in range(USER_LIMIT):
        assert (await client.get("/2024-03/workflows", headers=as_user(token))).status_code == 200
    fresh = UserTokens(load_keys(settings), issuer=settings.public_url).mint(
        user_id=user_id, isv_id=isv.isv_id
    )
    assert fresh != token
    assert_rate_limited(await client.get("/2024-03/workflows", headers=as_user(fresh)))


async def test_a_token_respelled_is_refused_not_given_a_fresh_bucket(
    client, isv: IsvFixture
) -> None:
    _, token = await new_user(client, isv)
    for _ in range(USER_LIMIT):
        assert (await client.get("/2024-03/workflows", headers=as_user(token))).status_code == 200
    assert_rate_limited(await client.get("/2024-03/workflows", headers=as_user(token)))
    padded = await client.get("/2024-03/workflows", headers=as_user(token + "=="))
    assert padded.status_code == 401 and padded.json()["code"] == "token_invalid", padded.text


async def test_failed_authentications_block_the_address_even_for_a_right_key(
    client, isv: IsvFixture
) -> None:
    wrong_keys = [f"Bearer {isv.api_key[:-1]}{c}" for c in "ABCD" if c != isv.api_key[-1]]
    attempts = [
        {"Authorization": wrong_keys[0]},
        {"Authorization": wrong_keys[1]},
        {"Authorization": f"Bearer {isv.api_key}=="},  # a respelled right key fails too
        as_user("not.a.jwt"),
    ]
    assert len(attempts) == AUTH_FAILURE_LIMIT
    for headers in attempts:
        response = await client.get("/2024-03/workflows", headers=headers)
        assert response.status_code == 401, response.text
    for headers in (isv.headers, {"Authorization": wrong_keys[2]}):
        refused = await client.get("/2023-12/users", headers=headers)
        assert refused.status_code == 429, refused.text
        assert refused.json() == {"message": refused.json()["message"], "code": "rate_limited"}
        assert "failed authentications" in refused.json()["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await client.get("/static/embedded.js")).status_code == 200  # no credential, no check


async def test_a_missing_credential_is_no_failed_authentication(client, isv: IsvFixture) -> None:
    for _ in range(AUTH_FAILURE_LIMIT + 1):
        assert (await client.get("/2024-03/workflows")).status_code == 401
    assert (await client.get("/2023-12/users", headers=isv.headers)).status_code == 200


async def test_a_browser_can_read_the_failed_authentication_429(client, isv: IsvFixture) -> None:
    _, token = await new_user(client, isv)
    for _ in range(AUTH_FAILURE_LIMIT):
        response = await client.get(
            "/2024-03/integrations", headers=as_user("x.y.z", Origin=HOST_ORIGIN)
        )
        assert response.status_code == 401
    refused = await client.get("/2024-03/integrations", headers=as_user(token, Origin=HOST_ORIGIN))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert "Retry-After" in refused.headers["access-control-expose-headers"]


async def test_cors_preflights_are_not_counted(client, isv: IsvFixture) -> None:
    preflight = {"Origin": HOST_ORIGIN, "Access-Control-Request-Method": "GET"}
    for _ in range(API_LIMIT + 1):
        answer = await client.options("/2024-03/workflows", headers=preflight)
        assert answer.status_code == 204 and "ratelimit-limit" not in answer.headers
    assert (await client.get("/2023-12/users")).status_code == 401


async def test_bad_modal_tokens_count_as_failed_authentications(client, isv: IsvFixture) -> None:
    """The modal's steps authenticate with a user token too: guessing one there is slowed
    like anywhere else, and the address is then refused on the API as well."""
    _, good_token = await new_user(client, isv)
    step = f"/forge-install/step?integrationId={isv.integration_id}"
    for n in range(AUTH_FAILURE_LIMIT):
        refused = await client.get(
            step, headers={**as_user(f"guess.{n}.token"), "HX-Request": "true"}
        )
        assert refused.status_code == 401, refused.text
        assert "not valid" in refused.text
    blocked = await client.get(step, headers={**as_user(good_token), "HX-Request": "true"})
    assert blocked.status_code == 429, blocked.text
    assert (await client.get("/2023-12/users", headers=isv.headers)).status_code == 429

"""Rate limits: whom a request counts against, the limit settings, the 429 answer."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from litestar.exceptions import TooManyRequestsException
from litestar.testing import RequestFactory

from install_service.ratelimits import request_identity, too_many_requests_to_json
from install_service.settings import Settings, SettingsError

requests = RequestFactory()
API_KEY = "isk_dev_secret-api-key"
TOKEN = "eyJ.user.token"


def test_an_api_key_counts_by_its_digest_and_wins_over_a_token() -> None:
    request = requests.get(
        "/2023-12/users",
        headers={"Authorization": f"bearer {API_KEY}", "x-alloy-user-token": TOKEN},
    )
    identity = request_identity(request)
    assert identity == "api:" + hashlib.sha256(API_KEY.encode()).hexdigest()
    assert API_KEY not in identity


def test_a_user_token_counts_by_its_digest() -> None:
    identity = request_identity(
        requests.get("/2024-03/workflows", headers={"x-alloy-user-token": TOKEN})
    )
    assert identity == "user:" + hashlib.sha256(TOKEN.encode()).hexdigest()
    other = request_identity(
        requests.get("/2024-03/workflows", headers={"x-alloy-user-token": TOKEN + "x"})
    )
    assert other != identity


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Basic abc"}, {"x-alloy-user-token": ""}]
)
def test_without_a_credential_the_client_address_counts(headers: dict[str, str]) -> None:
    request = requests.get("/2023-12/users", headers=headers)
    assert request_identity(request) == f"ip:{request.client.host}"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("600/minute", ("minute", 600)),
        ("5/second", ("second", 5)),
        (" 100 / Hours ", ("hour", 100)),
        ("1/day", ("day", 1)),
    ],
)
def test_limits_are_read_from_the_environment(raw: str, parsed: tuple[str, int]) -> None:
    settings = Settings.from_env(
        {"INSTALL_SERVICE_RATE_LIMIT_API": raw, "INSTALL_SERVICE_RATE_LIMIT_USER": raw}
    )
    assert settings.rate_limit_api == settings.rate_limit_user == parsed


def test_default_limits_are_600_a_minute() -> None:
    assert (
        Settings.from_env({}).rate_limit_api
        == Settings.from_env({}).rate_limit_user
        == ("minute", 600)
    )


@pytest.mark.parametrize(
    "raw", ["", "600", "0/minute", "-1/minute", "600/fortnight", "many/minute", "1.5/second"]
)
def test_an_unusable_limit_names_its_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_RATE_LIMIT_USER"):
        Settings.from_env({"INSTALL_SERVICE_RATE_LIMIT_USER": raw})


def test_429_says_when_to_retry() -> None:
    exc = TooManyRequestsException(
        headers={
            "RateLimit-Policy": "600; w=60",
            "RateLimit-Limit": "600",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "17",
        }
    )
    response = too_many_requests_to_json(requests.get("/"), exc)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "17" and response.headers["RateLimit-Limit"] == "600"
    assert msgspec.to_builtins(response.content) == {
        "message": "Rate limit of 600 requests per minute exceeded: retry in 17 s",
        "code": "rate_limited",
    }


def test_retry_after_is_at_least_one_second() -> None:
    exc = TooManyRequestsException(headers={"RateLimit-Policy": "5; w=1", "RateLimit-Reset": "0"})
    assert too_many_requests_to_json(requests.get("/"), exc).headers["Retry-After"] == "1"

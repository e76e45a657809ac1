"""Rate limits: whom a request counts against, the limit settings, the 429 answer."""

from __future__ import annotations

from pathlib import Path

import jwt
import msgspec
import pytest
from litestar.exceptions import TooManyRequestsException
from litestar.testing import RequestFactory

from install_service.ratelimits import (
    TooManyFailedAuthentications,
    request_identity,
    too_many_requests_to_json,
)
from install_service.security.api_keys import generate_api_key, hash_api_key
from install_service.security.keys import load_keys
from install_service.security.user_tokens import ALGORITHM, AUDIENCE, InvalidUserToken, UserTokens
from install_service.settings import Settings, SettingsError

requests = RequestFactory()
API_KEY = generate_api_key()
ISSUER = "https://install.example.com"


@pytest.fixture(scope="module")
def user_tokens(tmp_path_factory: pytest.TempPathFactory) -> UserTokens:
    return UserTokens(load_keys(Settings(var_dir=tmp_path_factory.mktemp("var"))), issuer=ISSUER)


def identity(user_tokens: UserTokens, **headers: str) -> str:
    return request_identity(requests.get("/2024-03/workflows", headers=headers), user_tokens)


def ip_identity() -> str:
    return f"ip:{requests.get('/').client.host}"


def test_an_api_key_counts_by_its_stored_digest_and_wins_over_a_token(
    user_tokens: UserTokens,
) -> None:
    token = user_tokens.mint(user_id="u1", isv_id="i1")
    counted = identity(
        user_tokens, Authorization=f"bearer {API_KEY}", **{"x-alloy-user-token": token}
    )
    assert counted == "api:" + hash_api_key(API_KEY)  # the key's id: its row's key_hash
    assert API_KEY not in counted


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {API_KEY}", f"BEARER {API_KEY}", f"Bearer   {API_KEY}"],
    ids=["canonical", "scheme-upper-case", "several-spaces"],
)
def test_every_accepted_spelling_of_one_key_is_one_bucket(
    user_tokens: UserTokens, authorization: str
) -> None:
    assert identity(user_tokens, Authorization=authorization) == "api:" + hash_api_key(API_KEY)


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {API_KEY}=",
        f"Bearer {API_KEY}==",
        f"Bearer {API_KEY} x",
        f"Bearer x{API_KEY}",
        "Bearer isk_dev_wrong",
    ],
    ids=["padded", "padded-twice", "trailing-word", "prefixed", "unknown"],
)
def test_a_key_in_another_spelling_counts_against_the_client_address(
    user_tokens: UserTokens, authorization: str
) -> None:
    assert identity(user_tokens, Authorization=authorization) == ip_identity()


def test_a_user_token_counts_against_its_verified_user(user_tokens: UserTokens) -> None:
    first = user_tokens.mint(user_id="u1", isv_id="i1")
    second = user_tokens.mint(user_id="u1", isv_id="i1")
    assert first != second
    assert identity(user_tokens, **{"x-alloy-user-token": first}) == "user:u1"
    assert identity(user_tokens, **{"x-alloy-user-token": second}) == "user:u1"
    other = user_tokens.mint(user_id="u2", isv_id="i1")
    assert identity(user_tokens, **{"x-alloy-user-token": other}) == "user:u2"


def padded(token: str) -> str:
    return token + "=="


@pytest.mark.parametrize(
    "respell", [padded, lambda t: f" {t}", lambda t: f"{t}\t", lambda t: t.replace(".", ".=", 1)]
)
def test_a_token_in_another_spelling_is_refused_and_gets_no_bucket(
    user_tokens: UserTokens, respell
) -> None:
    token = respell(user_tokens.mint(user_id="u1", isv_id="i1"))
    with pytest.raises(InvalidUserToken):
        user_tokens.verify(token)
    assert identity(user_tokens, **{"x-alloy-user-token": token}) == ip_identity()


def test_pyjwt_alone_accepts_a_padded_token(tmp_path: Path) -> None:
    """Why ``UserTokens.verify`` checks the spelling itself: PyJWT decodes padding away."""
    keys = load_keys(Settings(var_dir=tmp_path))
    token = UserTokens(keys, issuer=ISSUER).mint(user_id="u1", isv_id="i1")
    claims = jwt.decode(
        padded(token), keys.jwt_private_key.public_key(), algorithms=[ALGORITHM], audience=AUDIENCE
    )
    assert claims["sub"] == "u1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"x-alloy-user-token": ""},
        {"x-alloy-user-token": "not.a.jwt"},
        {"X-Forwarded-For": "203.0.113.9"},
    ],
)
def test_without_a_usable_credential_the_client_address_counts(
    user_tokens: UserTokens, headers: dict[str, str]
) -> None:
    request = requests.get("/2023-12/users", headers=headers)
    assert request_identity(request, user_tokens) == f"ip:{request.client.host}"


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


def test_429_for_failed_authentications_says_so() -> None:
    response = too_many_requests_to_json(requests.get("/"), TooManyFailedAuthentications(42))
    assert response.status_code == 429 and response.headers["Retry-After"] == "42"
    assert msgspec.to_builtins(response.content) == {
        "message": "Too many failed authentications from this address: retry in 42 s",
        "code": "rate_limited",
    }


@pytest.mark.parametrize(
    ("raw", "parsed"), [("20/minute", ("minute", 20)), ("5/second", ("second", 5))]
)
def test_the_failed_authentication_limit_is_read_from_the_environment(
    raw: str, parsed: tuple[str, int]
) -> None:
    assert (
        Settings.from_env(
            {"INSTALL_SERVICE_RATE_LIMIT_AUTH_FAILURES": raw}
        ).rate_limit_auth_failures
        == parsed
    )
    assert Settings.from_env({}).rate_limit_auth_failures == ("minute", 20)
    with pytest.raises(SettingsError, match="INSTALL_SERVICE_RATE_LIMIT_AUTH_FAILURES"):
        Settings.from_env({"INSTALL_SERVICE_RATE_LIMIT_AUTH_FAILURES": "twenty"})


def test_trusted_proxies_are_addresses_or_cidrs_and_none_by_default() -> None:
    assert Settings.from_env({}).trusted_proxies == ()
    raw = " 127.0.0.1, 10.0.0.0/8 ,::1"
    assert Settings.from_env({"INSTALL_SERVICE_TRUSTED_PROXIES": raw}).trusted_proxies == (
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
    )
    with pytest.raises(SettingsError, match=r"INSTALL_SERVICE_TRUSTED_PROXIES.*'proxy\.local'"):
        Settings.from_env({"INSTALL_SERVICE_TRUSTED_PROXIES": "127.0.0.1,proxy.local"})

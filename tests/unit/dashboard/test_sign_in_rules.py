"""Where a sign-in may send the browser, and how failed sign-ins are counted: per email and
per client address, each on its own."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar import Litestar, Request

from install_service.dashboard.dependencies import safe_next, sign_in_url
from install_service.dashboard.throttle import SignInFailures, TooManySignInAttempts
from install_service.errors import InvalidInput, Unauthorized
from install_service.staff.passwords import check_password_rules, hash_password, verify_password


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/dashboard/audit?cursor=abc", "/dashboard/audit?cursor=abc"),
        ("/dashboard", "/dashboard"),
        ("", "/dashboard"),
        (None, "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
        ("https://evil.example/dashboard", "/dashboard"),
        ("/dashboard\\@evil.example", "/dashboard"),
        ("/dashboardevil", "/dashboard"),
        ("/dashboard/sign-in?next=/dashboard/audit", "/dashboard"),
        ("/dashboard/a\r\nSet-Cookie: x=1", "/dashboard"),
        ("/2023-12/users", "/dashboard"),
    ],
)
def test_only_dashboard_paths_of_this_site_are_followed(raw: str | None, expected: str) -> None:
    assert safe_next(raw) == expected


def test_the_sign_in_url_carries_where_to_go_back_to() -> None:
    assert sign_in_url("/dashboard") == "/dashboard/sign-in"
    assert sign_in_url("/dashboard/audit") == "/dashboard/sign-in?next=%2Fdashboard%2Faudit"


def test_passwords_need_twelve_characters() -> None:
    check_password_rules("x" * 12)
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        check_password_rules("x" * 11)
    with pytest.raises(InvalidInput, match="at most 1024"):
        check_password_rules("x" * 1025)


def _request(app: Litestar, address: str) -> Request[Any, Any, Any]:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/dashboard/sign-in",
        "headers": [],
        "query_string": b"",
        "client": (address, 1234),
        "app": app,
        "litestar_app": app,
        "state": {},
    }
    return Request(scope)  # type: ignore[arg-type]


async def _fail(failures: SignInFailures, request: Request[Any, Any, Any], email: str) -> None:
    with pytest.raises(Unauthorized):
        async with failures.counting_sign_in(request, email):
            raise Unauthorized("wrong")


async def test_failures_count_per_email_and_per_address_separately() -> None:
    app = Litestar()
    failures = SignInFailures(("minute", 2))
    here, there, elsewhere = (_request(app, a) for a in ("10.0.0.1", "10.0.0.2", "10.0.0.3"))
    await _fail(failures, here, "ann@acme.test")
    await _fail(failures, there, "ANN@acme.test ")  # the same email, spelled differently
    with pytest.raises(TooManySignInAttempts):  # the email is blocked from any address
        async with failures.counting_sign_in(elsewhere, "ann@acme.test"):
            pass
    async with failures.counting_sign_in(elsewhere, "bob@acme.test"):  # others are not
        pass
    await _fail(failures, here, "carl@acme.test")
    with pytest.raises(TooManySignInAttempts):  # the address is blocked for any email
        async with failures.counting_sign_in(here, "dora@acme.test"):
            pass


async def test_an_unknown_email_costs_the_same_argon2_check_as_a_wrong_password() -> None:
    stored = await hash_password("the real password")

    async def fastest(password_hash: str | None) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert await verify_password("a wrong password", password_hash) == (False, None)
            times.append(time.perf_counter() - started)
        return min(times)

    unknown, wrong = await fastest(None), await fastest(stored)
    assert 0.5 < unknown / wrong < 2, (unknown, wrong)

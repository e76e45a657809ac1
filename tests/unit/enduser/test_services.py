"""Origins for the end-user API's CORS: normalised, then compared exactly."""

from __future__ import annotations

import pytest

from install_service.enduser.services import is_listed, request_origin, same_origin

ALLOWED = ["https://app.example.com", "http://localhost:9100"]


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://app.example.com", "https://app.example.com"),
        ("HTTPS://App.Example.COM", "https://app.example.com"),
        ("http://localhost:9100/", "http://localhost:9100"),
        (None, None),
        ("", None),
        ("null", None),
        ("file://", None),
        ("chrome-extension://abc", None),
        ("https://app.example.com/path", None),
    ],
)
def test_request_origin_is_normalised_or_none(raw: str | None, origin: str | None) -> None:
    assert request_origin(raw) == origin


@pytest.mark.parametrize("origin", ["https://app.example.com", "http://localhost:9100"])
def test_a_listed_origin_matches(origin: str) -> None:
    assert is_listed(request_origin(origin), ALLOWED)


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com.evil.test",
        "https://evil-app.example.com",
        "http://app.example.com",
        "https://app.example.com:8443",
        "http://localhost:91000",
        "http://localhost",
        "null",
    ],
)
def test_a_look_alike_origin_does_not_match(origin: str) -> None:
    assert not is_listed(request_origin(origin), ALLOWED)


def test_nothing_matches_an_empty_list() -> None:
    assert not is_listed("https://app.example.com", [])


def test_the_services_own_origin_is_same_origin() -> None:
    assert same_origin("https://install.example.com", "https://install.example.com")
    assert same_origin("http://127.0.0.1:8000", "http://127.0.0.1:8000/")
    assert not same_origin("https://install.example.com.evil.test", "https://install.example.com")
    assert not same_origin(None, "https://install.example.com")

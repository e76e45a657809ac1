"""Empty query values are dropped; every other pair is passed on byte for byte."""

from __future__ import annotations

import pytest

from install_service.http.query import without_empty_values


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"expiresIn=&redirectUrl=", b""),
        (b"limit=&cursor=abc", b"cursor=abc"),
        (b"userId&integrationId=i1", b"integrationId=i1"),
        (b"a=1&&b=%20&c=x%3D", b"a=1&b=%20&c=x%3D"),
        (b"token=eyJ.a.b", b"token=eyJ.a.b"),
        (b"x==", b"x=="),
    ],
)
def test_only_pairs_without_a_value_are_dropped(query: bytes, expected: bytes) -> None:
    assert without_empty_values(query) == expected

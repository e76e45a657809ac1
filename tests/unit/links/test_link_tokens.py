"""Install-link tokens: purpose salt, key rotation, tampering."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from install_service.links.tokens import InvalidLinkToken, LinkTokens

OLD, NEW = b"old-link-key", b"new-link-key"


def test_round_trip_carries_only_the_link_id() -> None:
    tokens = LinkTokens([NEW])
    assert tokens.verify(tokens.sign("link-1")) == "link-1"


def test_token_signed_with_the_previous_key_still_in_the_list_is_accepted() -> None:
    issued_before_rotation = LinkTokens([OLD]).sign("link-1")
    assert LinkTokens([NEW, OLD]).verify(issued_before_rotation) == "link-1"


def test_newest_key_signs_after_rotation() -> None:
    token = LinkTokens([NEW, OLD]).sign("link-1")
    assert LinkTokens([NEW]).verify(token) == "link-1"
    with pytest.raises(InvalidLinkToken):
        LinkTokens([OLD]).verify(token)


def test_token_signed_with_a_retired_key_is_refused() -> None:
    issued = LinkTokens([OLD]).sign("link-1")
    with pytest.raises(InvalidLinkToken):
        LinkTokens([NEW]).verify(issued)


def test_token_for_another_purpose_with_the_same_key_is_refused() -> None:
    other = URLSafeTimedSerializer([NEW], salt="install-service.password-reset").dumps("link-1")
    with pytest.raises(InvalidLinkToken):
        LinkTokens([NEW]).verify(other)


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "", lambda t: "not-a-token"]
)
def test_tampered_tokens_are_refused(mangle) -> None:
    with pytest.raises(InvalidLinkToken):
        LinkTokens([NEW]).verify(mangle(LinkTokens([NEW]).sign("link-1")))

"""What an access-log line may say about a request: path, and ids of its credentials."""

from __future__ import annotations

import hashlib

from install_service.http.access_log import credential_ids, log_path, token_id


def scope(path: bytes, query: bytes = b"", headers: dict[str, str] | None = None) -> dict:
    return {
        "type": "http",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }


def test_a_token_id_is_a_short_sha256_prefix() -> None:
    assert token_id("secret") == "sha256:" + hashlib.sha256(b"secret").hexdigest()[:8]
    assert "secret" not in token_id("secret")


def test_the_path_is_logged_without_its_query_and_still_encoded() -> None:
    assert log_path(scope(b"/forge-install", b"token=eyJ.a.b")) == "/forge-install"
    assert log_path(scope(b"/users/a%0Ab")) == "/users/a%0Ab"  # no newline forges a line
    assert log_path({"path": "/users/a\nb"}) == "/users/a%0Ab"


def test_each_credential_sent_is_named_by_its_id() -> None:
    found = credential_ids(
        scope(
            b"/x",
            b"integrationId=i&token=link.tok",
            {"Authorization": "Bearer isk_dev_key", "x-alloy-user-token": "eyJ.u.t"},
        )
    )
    assert found == {
        "api_key": token_id("isk_dev_key"),
        "user_token": token_id("eyJ.u.t"),
        "query_token": token_id("link.tok"),
    }
    assert credential_ids(scope(b"/x", b"integrationId=i")) == {}

"""``/schema`` documents the API, and a bounded schemathesis run over it finds no 5xx.

The service runs as a user runs it (``install-service serve`` on SQLite), with an ISV,
the example catalogue and one installed-looking user, so generated calls reach real rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, run_cli, service_env

EXAMPLE_CATALOG = REPO_ROOT / "examples" / "acme-bigcommerce.yaml"
API_KEY_HEADER: dict[str, str] = {}


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("openapi")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(
        {"INSTALL_SERVICE_VAR_DIR": str(tmp / "var"), "INSTALL_SERVICE_PUBLIC_URL": url}
    )
    created = json.loads(
        run_cli(
            [
                "isv",
                "create",
                "--name",
                "AcmeCo",
                "--allowed-origin",
                "http://localhost:9100",
                "--json",
            ],
            env,
        )
    )
    run_cli(["catalog", "load", str(EXAMPLE_CATALOG), "--isv", created["isvId"]], env)
    API_KEY_HEADER["Authorization"] = f"Bearer {created['apiKey']}"
    service = ServiceProcess(["serve", "--port", str(port)], env, url, tmp / "service.log").start()
    try:
        assert (
            httpx.post(
                f"{url}/2023-12/users", json={"username": "gregg"}, headers=API_KEY_HEADER
            ).status_code
            == 201
        )
        yield url
    finally:
        service.stop()


@pytest.fixture(scope="module")
def api_schema(service_url: str):
    """The ISV API as documented at /schema (one version prefix: the others are the same routes)."""
    return schemathesis.openapi.from_url(f"{service_url}/schema/openapi.json").include(
        path_regex=r"^/2023-12/"
    )


def test_every_isv_route_is_documented_with_its_errors(service_url: str) -> None:
    document = httpx.get(f"{service_url}/schema/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/2023-12/users",
        "/2023-12/users/batch",
        "/2023-12/users/{user_ref}",
        "/2023-12/integrations",
        "/2023-12/workflows",
        "/2023-12/apps",
        "/2023-12/webhooks/deliveries",
    ):
        assert any(p == path or p.startswith(path.split("{")[0]) for p in paths), path
    create_user = paths["/2023-12/users"]["post"]
    assert "requestBody" in create_user and {"201", "401", "409", "422"} <= set(
        create_user["responses"]
    )
    error = create_user["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].rsplit(
        "/", 1
    )[-1]
    assert document["components"]["schemas"][error]["required"] == ["message", "code"]
    schemes = document["components"]["securitySchemes"]
    assert (
        schemes["apiKey"]["scheme"] == "bearer"
        and schemes["userToken"]["name"] == "x-alloy-user-token"
    )


def test_generated_calls_never_get_a_server_error(api_schema, service_url: str) -> None:
    """Up to 8 generated calls per documented operation (schemathesis + hypothesis,
    derandomized so a failure reproduces); every answer must be below 500."""
    server_errors: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20  # the whole ISV API, not an empty document

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case) -> None:
            response = case.call(base_url=service_url, headers=API_KEY_HEADER)
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )

        call()
    assert server_errors == []

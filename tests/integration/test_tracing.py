"""Optional tracing: a real ``install-service serve`` with ``OTEL_EXPORTER_OTLP_ENDPOINT``
sends its request spans to a real local OTLP/HTTP collector, named by route template and
without ids or tokens; without the variable it sends nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from install_service.settings import Settings
from tests.conftest import IsvFixture
from tests.support.processes import REPO_ROOT, ServiceProcess, free_port, service_env
from tests.support.receiver import Receiver

pytestmark = pytest.mark.usefixtures("backend")
USER_ROUTE = "/2023-12/users/{user_ref}"


@pytest.fixture
def collector() -> Receiver:
    """A real HTTP server in the collector's place: it answers 200 to every POST and keeps
    the bodies (protobuf ``ExportTraceServiceRequest``)."""
    server = Receiver().start()
    yield server
    server.stop()


def spans(collector: Receiver) -> list[dict]:
    """Every span the collector got: {name, attributes: {key: value}, service}."""
    found = []
    for request in list(collector.requests):
        assert request.path == "/v1/traces"
        assert request.headers["content-type"] == "application/x-protobuf"
        export = ExportTraceServiceRequest.FromString(request.body)
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        a.key: getattr(a.value, a.value.WhichOneof("value") or "string_value")
                        for a in span.attributes
                    }
                    found.append(
                        {
                            "name": span.name,
                            "attributes": attributes,
                            "service": resource.get("service.name"),
                        }
                    )
    return found


def wait_for_span(collector: Receiver, name: str, timeout_s: float = 20.0) -> list[dict]:
    """Every span so far, once one is called ``name`` (raises after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = spans(collector)
        if any(span["name"] == name for span in found):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"no span {name!r}; got {[s['name'] for s in found]}")
        collector.wait_for(
            len(collector.requests) + 1, timeout_s=max(deadline - time.monotonic(), 0.1)
        )


def serve(settings: Settings, tmp_path: Path, otel: dict[str, str]) -> ServiceProcess:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "service-var"),
        "INSTALL_SERVICE_DATABASE_URL": settings.database_url,
        "INSTALL_SERVICE_PUBLIC_URL": url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # ms: the batch goes out soon after the request
    }
    env = {k: v for k, v in service_env(env).items() if not k.startswith("OTEL_")} | env
    return ServiceProcess(["serve", "--port", str(port)], env | otel, url, tmp_path / "s.log")


async def user_requests(server: ServiceProcess, isv: IsvFixture) -> tuple[str, str]:
    """Create a user and read it back by id, a token in the query; returns (id, token)."""
    token = "q-token-0123456789abcdef"
    async with httpx.AsyncClient(base_url=server.url, headers=isv.headers, timeout=30) as api:
        created = await api.post("/2023-12/users", json={"username": "gregg"})
        assert created.status_code == 201, created.text
        user_id = created.json()["userId"]
        read = await api.get(f"/2023-12/users/{user_id}", params={"token": token})
        assert read.status_code == 200, read.text
        assert (await api.get("/no/such/route/" + user_id)).status_code == 404
    return user_id, token


async def test_request_spans_reach_the_collector_by_route_template_without_ids_or_tokens(
    settings: Settings, isv: IsvFixture, collector: Receiver, tmp_path: Path
) -> None:
    endpoint = collector.url.removesuffix("/hook")
    server = serve(settings, tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}).start()
    try:
        user_id, token = await user_requests(server, isv)
        found = wait_for_span(collector, f"GET {USER_ROUTE}")
        # The 404 went out in the same batch or an earlier one: wait for it too.
        found = wait_for_span(collector, "GET")
    finally:
        server.stop()

    [read] = [span for span in found if span["name"] == f"GET {USER_ROUTE}"]
    assert read["service"] == "install-service"
    assert read["attributes"]["http.route"] == USER_ROUTE
    assert read["attributes"]["http.target"] == USER_ROUTE
    assert read["attributes"]["url.query"] == "token=REDACTED"
    assert any(span["name"] == "POST /2023-12/users" for span in found)
    [unmatched] = [span for span in found if span["name"] == "GET"]
    assert unmatched["attributes"]["http.target"] == "/(unmatched)"
    assert unmatched["attributes"]["http.status_code"] == 404
    recorded = repr(found)
    assert user_id not in recorded
    assert token not in recorded
    assert isv.api_key not in recorded
    assert "/health" not in recorded  # the probes the test harness made are not traced


async def test_without_the_endpoint_nothing_is_sent(
    settings: Settings, isv: IsvFixture, collector: Receiver, tmp_path: Path
) -> None:
    # The per-signal variable an SDK would honour is set; the switch is not.
    traces_url = collector.url.removesuffix("/hook") + "/v1/traces"
    server = serve(settings, tmp_path, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces_url})
    server.start()
    await user_requests(server, isv)
    server.terminate()  # a running exporter would flush its batch on the way out
    assert server.wait_exit() == 0
    assert collector.requests == []
    assert "opentelemetry" not in (tmp_path / "s.log").read_text().lower()


def test_the_endpoint_without_the_extra_stops_serve_with_the_pip_command(tmp_path: Path) -> None:
    """``serve`` in an interpreter where the OpenTelemetry SDK cannot be imported."""
    blocked = "import sys; sys.modules['opentelemetry.sdk'] = None; "
    run_cli = "from install_service.cli import main; main(['serve', '--port', '9'])"
    env = service_env(
        {
            "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "var"),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked + run_cli],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "pip install 'install-service[otel]'" in done.stderr
    assert "Traceback" not in done.stderr

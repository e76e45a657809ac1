"""Real HTTP servers for the browser tests.

- ``Service``: what the tests know about the running service and its ISV.
- ``ServiceProcess`` (from tests.support.processes): the ``install-service`` command as a subprocess.
- ``HostPages``: a third-party ISV page on its own origin that embeds the service.
- ``FakeBigCommerce``: answers BigCommerce's ``GET /stores/{hash}/v2/store`` test call.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx

GOOD_TOKEN = "good-token"
_STORE_PATH = re.compile(r"^/stores/([^/]+)/v2/store$")


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 run in a daemon thread; subclasses define ``handle``."""

    def __init__(self, port: int = 0) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, content_type, body = outer.handle(
                    self.path, {k.lower(): v for k, v in self.headers.items()}
                )
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def handle(self, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeBigCommerce(_Server):
    """200 for ``X-Auth-Token: good-token``, else (after ``delay_s``) BigCommerce's 401."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        self.calls: list[tuple[str, str]] = []  # (store hash, token)
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        match = _STORE_PATH.match(urlparse(path).path)
        if match is None:
            return 404, "application/json", b'{"status":404,"title":"Not Found"}'
        token = headers.get("x-auth-token", "")
        self.calls.append((match.group(1), token))
        if token == GOOD_TOKEN:
            return (
                200,
                "application/json",
                json.dumps({"id": match.group(1), "name": "Test Store"}).encode(),
            )
        time.sleep(self.delay_s)
        return 401, "application/json", b'{"status":401,"title":"Invalid access token"}'


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AcmeCo (host page)</title></head>
<body>
  <h1>AcmeCo integrations</h1>
  <button id="install" type="button">Install BigCommerce</button>
  <script src="{service}/static/embedded.js"></script>
  <script>
    window.TOKEN = {token};
    window.INTEGRATION_ID = {integration_id};
    document.getElementById('install').addEventListener('click', function () {{
      Alloy.setToken(window.TOKEN);
      Alloy.install({{integrationId: window.INTEGRATION_ID, callback: function (r) {{ window.RESULT = r; }}}});
    }});
  </script>
</body></html>
"""

FRAME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Direct embed</title></head>
<body><iframe id="direct" name="direct" title="install" src="{src}" width="560" height="720"></iframe></body></html>
"""


def _js(value: str) -> str:
    """A JSON string literal safe inside an inline <script>."""
    return json.dumps(value).replace("<", "\\u003c")


class HostPages(_Server):
    """An ISV's frontend on ``http://localhost:<port>`` (an origin other than the service's).

    ``/host?token=&integrationId=``: a page that opens the modal through embedded.js.
    ``/frame?src=``: a page that frames ``src`` directly (Alloy's own SDK style).
    ``/page/<name>?token=``: a page a test registered in ``pages`` (``{service}`` and
    ``{token}`` are filled in: the service's URL, and the token as a JS string literal).
    """

    def __init__(self, service_url: str, port: int = 0) -> None:
        self.service_url = service_url
        self.pages: dict[str, str] = {}
        super().__init__(port)

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def handle(self, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        url = urlparse(path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/host":
            page = HOST_PAGE.format(
                service=html.escape(self.service_url),
                token=_js(query.get("token", "")),
                integration_id=_js(query.get("integrationId", "")),
            )
        elif url.path == "/frame":
            page = FRAME_PAGE.format(src=html.escape(query.get("src", "")))
        elif url.path.startswith("/page/") and url.path[len("/page/") :] in self.pages:
            template = self.pages[url.path[len("/page/") :]]
            page = template.replace("{service}", html.escape(self.service_url)).replace(
                "{token}", _js(query.get("token", ""))
            )
        else:
            return 404, "text/plain", b"not found"
        return 200, "text/html; charset=utf-8", page.encode()


@dataclass(frozen=True)
class Service:
    """The running service, its ISV (AcmeCo, example catalogue loaded) and the ISV's frontends."""

    url: str
    isv_id: str
    api_key: str
    webhook_secret: str
    integration_id: str
    host: HostPages  # the ISV's allowed frontend origin
    other_host: HostPages  # an origin the ISV did not allow
    database_url: str = ""  # the service's own SQLite file, to look behind the API

    def new_user(self) -> tuple[str, str]:
        """A new end user through the ISV API: ``(userId, user JWT)``."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        created = httpx.post(
            f"{self.url}/2023-12/users",
            json={"username": f"e2e-{uuid.uuid4().hex[:10]}"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["userId"]
        minted = httpx.get(f"{self.url}/2023-12/users/{user_id}/token", headers=headers)
        assert minted.status_code == 200, minted.text
        return user_id, minted.json()["token"]

    def host_page(self, token: str) -> str:
        return f"{self.host.origin}/host?token={token}&integrationId={self.integration_id}"

    def public_key_pem(self) -> bytes:
        return httpx.get(f"{self.url}/security/public-key.pem").content

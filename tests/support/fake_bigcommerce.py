"""A real local stand-in for the BigCommerce API, for the modal's connection test.

The connector calls ``GET {api_base}/stores/{storeHash}/v2/store`` with ``X-Auth-Token``
(catalog/apps/bigcommerce.yaml); this server records those calls like ``Receiver`` does
and answers with a store (200) unless told to refuse the token.
"""

from __future__ import annotations

import json

from tests.support.receiver import Receiver, Reply

JSON = {"content-type": "application/json"}
STORE = {"id": "abc123", "domain": "acme.example.com", "name": "Acme Store"}


class FakeBigCommerce(Receiver):
    """Answers every call with ``STORE`` (200) by default; ``refuse()`` makes it answer 401."""

    def __init__(self) -> None:
        super().__init__()
        self.default = Reply(200, json.dumps(STORE).encode(), JSON)

    @property
    def api_base(self) -> str:
        """What ``Settings.app_api_bases["bigcommerce"]`` should be."""
        return f"http://127.0.0.1:{self.port}"

    def refuse(self, title: str = "Invalid token for this store") -> None:
        """Answer like BigCommerce does for a wrong access token (V3 error shape)."""
        self.default = Reply(401, json.dumps({"status": 401, "title": title}).encode(), JSON)

"""Install-link tokens: itsdangerous signed, timed tokens carrying only the link's id.

Signed with their own purpose salt, so a token made for anything else never verifies as
a link. Keys rotate as a list: the newest signs, every listed key verifies; a retired key
(dropped from the list) no longer verifies.
"""

from __future__ import annotations

from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeTimedSerializer

PURPOSE = "install-service.install-link.v1"
MAX_AGE_S = 30 * 24 * 3600  # a link never lives longer than 30 days


class InvalidLinkToken(Exception):
    """Tampered, signed for another purpose, signed with a retired key, or too old."""


class LinkTokens:
    def __init__(self, keys_newest_first: Sequence[bytes]) -> None:
        # itsdangerous takes keys oldest to newest and signs with the last one.
        self._serializer = URLSafeTimedSerializer(list(reversed(keys_newest_first)), salt=PURPOSE)

    def sign(self, link_id: str) -> str:
        return self._serializer.dumps(link_id)

    def verify(self, token: str) -> str:
        """The link id inside ``token``.

        Raises:
            InvalidLinkToken: see the class docstring.
        """
        try:
            link_id = self._serializer.loads(token, max_age=MAX_AGE_S)
        except BadSignature as exc:
            raise InvalidLinkToken(str(exc)) from exc
        if not isinstance(link_id, str):
            raise InvalidLinkToken("unexpected payload")
        return link_id

"""Public key material: the user-JWT JWKS and the webhook signature's RSA public key."""

from __future__ import annotations

from litestar import Controller, Response, get

from install_service.security.keys import KeyRing
from install_service.security.user_tokens import UserTokens


class PublicKeysController(Controller):
    tags = ["Security"]

    @get("/.well-known/jwks.json", summary="User JWT signing keys (RFC 7517)")
    async def jwks(self, user_tokens: UserTokens) -> dict[str, list[dict[str, str]]]:
        return user_tokens.jwks()

    @get(
        "/security/public-key.pem",
        media_type="application/x-pem-file",
        summary="Webhook signing key",
    )
    async def webhook_public_key(self, keys: KeyRing) -> Response[bytes]:
        """PEM (SubjectPublicKeyInfo) of the RSA key behind ``X-Alloy-Signature``."""
        return Response(keys.webhook_public_key_pem, media_type="application/x-pem-file")

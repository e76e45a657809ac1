"""``GET /static/embedded.js`` and friends: the SDK, minified and precompressed.

- ``/static/embedded.js``: the current SDK, ``Cache-Control: public, max-age=300`` (a new
  release reaches pages that use this URL within five minutes).
- ``/static/embedded.<hash>.js``: the same bytes under their content hash, cached for a year
  as ``immutable``; what the README recommends. Another hash is a 404 (the static files).
- ``/static/embedded.js.map``: the source map (sources embedded), named by a ``SourceMap``
  header rather than a comment in the script, so the script stays smaller.
- ``GET /sdk``: ``{"url", "integrity", "hash"}``, how an ISV (or its build) finds the
  versioned URL and its Subresource Integrity value.

Every answer carries a strong ``ETag`` per coding and ``Vary: Accept-Encoding``; a matching
``If-None-Match`` gets 304 (RFC 9110 §13.1.2).
"""

from __future__ import annotations

from litestar import Request, Router, get
from litestar.response import Response

from install_service.sdk.bundle import SdkBundle, load_bundle
from install_service.settings import Settings

SHORT_CACHE = "public, max-age=300"
LONG_CACHE = "public, max-age=31536000, immutable"
SCRIPT_TYPE = "text/javascript; charset=utf-8"


def _not_modified(request: Request, bundle: SdkBundle) -> bool:
    """True when ``If-None-Match`` names this script in any coding (weak comparison)."""
    header = request.headers.get("if-none-match", "")
    if header.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return any(bundle.etag(coding) in tags for coding in bundle.bodies)


def sdk_router(bundle: SdkBundle | None = None) -> Router:
    """The SDK's routes for ``bundle`` (default: ``load_bundle()``, read now); its hash fixes
    the versioned path at startup."""
    bundle = bundle or load_bundle()

    @get(["/static/embedded.js", bundle.versioned_path], include_in_schema=False)
    async def script(request: Request) -> Response[bytes]:
        coding = bundle.negotiate(request.headers.get("accept-encoding", ""))
        headers = {
            "cache-control": LONG_CACHE
            if request.url.path == bundle.versioned_path
            else SHORT_CACHE,
            "etag": bundle.etag(coding),
            "vary": "Accept-Encoding",
            "access-control-allow-origin": "*",  # lets <script integrity crossorigin> check it
        }
        if bundle.source_map is not None:
            headers["sourcemap"] = "/static/embedded.js.map"
        if _not_modified(request, bundle):
            return Response(b"", status_code=304, headers=headers)
        if coding != "identity":
            headers["content-encoding"] = coding
        return Response(bundle.bodies[coding], media_type=SCRIPT_TYPE, headers=headers)

    @get("/static/embedded.js.map", include_in_schema=False)
    async def source_map() -> Response[bytes]:
        if bundle.source_map is None:
            return Response(b"", status_code=404)
        return Response(
            bundle.source_map,
            media_type="application/json",
            headers={"cache-control": SHORT_CACHE, "etag": f'"{bundle.hash}-map"'},
        )

    @get("/sdk", include_in_schema=False)
    async def describe(settings: Settings) -> dict[str, str]:
        return {
            "url": settings.public_url + bundle.versioned_path,
            "integrity": bundle.integrity,
            "hash": bundle.hash,
        }

    return Router(path="/", route_handlers=[script, source_map, describe])

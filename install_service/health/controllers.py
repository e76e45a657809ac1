"""``GET /health`` (liveness) and ``GET /ready`` (readiness): no key, no versions, no secrets."""

from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from install_service.health.services import OK, readiness
from install_service.security.keys import KeyRing


class HealthController(Controller):
    tags = ["Operations"]

    @get("/health", summary="Liveness", media_type=MediaType.JSON)
    async def health(self) -> dict[str, str]:
        """200 ``{"status": "ok"}`` while the process runs; never touches the database."""
        return {"status": "ok"}

    @get("/ready", summary="Readiness", media_type=MediaType.JSON)
    async def ready(
        self, db_engine: AsyncEngine, state: State, keys: KeyRing
    ) -> Response[dict[str, object]]:
        """200 ``{"status": "ready", "checks": {...}}`` when every check is ``"ok"``, else
        503 ``{"status": "not_ready", "checks": {...}}`` naming the failing ones (see
        ``health.services.readiness``)."""
        checks = await readiness(db_engine, state.startup, keys)
        ready = all(value == OK for value in checks.values())
        return Response(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

"""CORS preflights of the end-user paths, answered by a route handler, not by middleware.

``EndUserCorsMiddleware`` never touches the database; deciding a preflight needs one read
(is this origin listed by some ISV?), done here through the request's own session. Register
this controller before the controllers serving the same paths: Litestar keeps the first
``OPTIONS`` handler registered for a path, and otherwise adds its own, which knows no CORS.
"""

from __future__ import annotations

from litestar import Controller, HttpMethod, Request, Response, route
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.enduser import services
from install_service.enduser.cors import (
    ALLOW_HEADERS,
    ALLOW_METHODS,
    END_USER_PATHS,
    PREFLIGHT_MAX_AGE_S,
)


class EndUserPreflightController(Controller):
    """``OPTIONS`` on the end-user paths (see ``enduser.cors`` for the policy)."""

    @route(list(END_USER_PATHS), http_method=[HttpMethod.OPTIONS], include_in_schema=False)
    async def preflight(self, request: Request, db_session: AsyncSession) -> Response[None]:
        """204 with the allow headers for an origin some ISV lists; 403 ``origin_not_allowed``
        otherwise. An ``OPTIONS`` that is no preflight gets 204 with ``Allow``."""
        raw_origin = request.headers.get("origin")
        if raw_origin is None or "access-control-request-method" not in request.headers:
            methods = request.app.route_handler_method_map.get(request.scope["path_template"], {})
            return Response(None, status_code=204, headers={"Allow": ", ".join(sorted(methods))})
        origin = await services.preflight_origin(db_session, raw_origin)
        return Response(
            None,
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
            },
        )

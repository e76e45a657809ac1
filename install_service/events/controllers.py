"""ISV API: the custom events a user can receive, and sending one (``POST /run/event``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.errors import InvalidInput
from install_service.events import services
from install_service.events.schemas import EventList, EventListing, RunEvent, RunEventResult
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.users.dependencies import UserIdQuery

MAX_EVENT_BYTES = 256 * 1024  # a larger body is refused 413
MAX_KEY_LENGTH = 255


class EventsController(Controller):
    tags = ["Events"]
    dependencies = {"isv": Provide(provide_isv)}

    @get("/events", summary="List the custom events a user's workflows can start on")
    async def list_events(
        self, isv: IsvContext, db_session: AsyncSession, user_id: UserIdQuery = None
    ) -> EventList:
        """``{"data": [{"event", "schema"}]}`` from the ISV's released workflows."""
        if not user_id:
            raise InvalidInput("userId is required", code=error_codes.USER_ID_REQUIRED)
        events = await services.list_events(db_session, isv, user_id)
        return EventList(data=[EventListing(e.event, e.schema) for e in events])

    @post(
        "/run/event",
        status_code=200,
        summary="Send a custom event",
        request_max_body_size=MAX_EVENT_BYTES,
    )
    async def run_event(
        self,
        data: RunEvent,
        isv: IsvContext,
        db_session: AsyncSession,
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=MAX_KEY_LENGTH)
        ] = None,
    ) -> RunEventResult:
        """Start the user's installed workflows listening to ``event``; 200
        ``{"success": true, "executionIds": [...]}`` once they are durably queued.

        404 ``user_not_found`` / ``unknown_event``; 422 ``invalid_event_data`` with
        ``errors: [{"field", "message"}]``; 413 over 256 KiB. The same ``Idempotency-Key``
        header (or ``eventId``) within 24 hours answers the same ids and runs nothing new.
        """
        ids = await services.accept_event(
            db_session,
            isv,
            event=data.event,
            user_ref=data.user_id,
            data=data.data,
            idempotency_key=idempotency_key or data.event_id,
        )
        return RunEventResult(success=True, execution_ids=ids)

"""Request dependencies naming the end user an ISV API call is about (``?userId=``)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import EndUser
from install_service.errors import InvalidInput
from install_service.isvs.services import IsvContext
from install_service.users.services import get_user

UserIdQuery = Annotated[str | None, QueryParameter(name="userId")]


async def required_user(session: AsyncSession, isv: IsvContext, user_ref: str | None) -> EndUser:
    """The ISV environment's user whose userId or username is ``user_ref``.

    Raises:
        InvalidInput: ``user_id_required`` (422) when ``user_ref`` is empty.
        NotFound: ``user_not_found`` (404), also for another ISV's or environment's user.
    """
    if not user_ref:
        raise InvalidInput("userId is required", code=error_codes.USER_ID_REQUIRED)
    return await get_user(session, isv, user_ref)


async def provide_user(
    isv: IsvContext, db_session: AsyncSession, user_id: UserIdQuery = None
) -> EndUser:
    """The end user named by ``?userId=`` (id or username); errors as ``required_user``."""
    return await required_user(db_session, isv, user_id)


async def provide_optional_user(
    isv: IsvContext, db_session: AsyncSession, user_id: UserIdQuery = None
) -> EndUser | None:
    """The end user named by ``?userId=``, or None without one (404 for an unknown one)."""
    return await required_user(db_session, isv, user_id) if user_id else None

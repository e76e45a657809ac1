"""End users: created by the ISV backend, one per ISV customer."""

from __future__ import annotations


from advanced_alchemy.exceptions import IntegrityError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select

from install_service.db.models import EndUser
from install_service.errors import Conflict, NotFound
from install_service.isvs.services import IsvContext
from install_service.ids import parse_id


class UserService(SQLAlchemyAsyncRepositoryService[EndUser]):
    """End users of one ISV environment; every query is scoped to it."""

    class Repo(SQLAlchemyAsyncRepository[EndUser]):
        model_type = EndUser

    repository_type = Repo

    async def create_user(self, ctx: IsvContext, username: str, full_name: str | None) -> EndUser:
        """Create an end user.

        Raises:
            Conflict: the username is taken in this ISV environment (409).
        """
        username = username.strip()
        if await self._find(ctx, username) is not None:
            raise Conflict(f"A user with username {username!r} already exists", code="duplicate_user")
        user = EndUser(
            isv_id=ctx.isv.id, environment=ctx.environment, username=username, full_name=full_name
        )
        try:
            return await self.create(user, auto_commit=False)
        except IntegrityError as exc:  # lost a race with an identical request
            raise Conflict(
                f"A user with username {username!r} already exists", code="duplicate_user"
            ) from exc

    async def list_users(self, ctx: IsvContext) -> list[EndUser]:
        return list(
            await self.list(
                EndUser.isv_id == ctx.isv.id,
                EndUser.environment == ctx.environment,
                order_by=[EndUser.created_at.asc()],
            )
        )

    async def get_user(self, ctx: IsvContext, user_ref: str) -> EndUser:
        """The user whose ``userId`` or ``username`` is ``user_ref``.

        Raises:
            NotFound: no such user in this ISV environment (404, also for other ISVs' users).
        """
        user = await self._find(ctx, user_ref)
        if user is None:
            raise NotFound("User not found", code="user_not_found")
        return user

    async def _find(self, ctx: IsvContext, user_ref: str) -> EndUser | None:
        scope = (EndUser.isv_id == ctx.isv.id, EndUser.environment == ctx.environment)
        user_id = parse_id(user_ref)
        if user_id is not None:
            found = await self.repository.session.scalar(
                select(EndUser).where(EndUser.id == user_id, *scope)
            )
            if found is not None:
                return found
        return await self.repository.session.scalar(
            select(EndUser).where(EndUser.username == user_ref, *scope)
        )

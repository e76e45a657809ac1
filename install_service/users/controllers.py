"""ISV API: end users and their hour-long JWTs (Alloy API reference, "Users")."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import EndUser
from install_service.http.pagination import page_size
from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.responses import Success
from install_service.security.user_tokens import UserTokens
from install_service.users import services
from install_service.users.schemas import (
    BatchCreated,
    BatchError,
    BatchResult,
    CreatedUser,
    CreateUser,
    CreateUsers,
    UpdateUser,
    User,
    UserList,
    UserToken,
)


def _user(row: EndUser) -> User:
    return User(
        user_id=str(row.id),
        username=row.username,
        full_name=row.full_name,
        created_at=row.created_at,
    )


class UsersController(Controller):
    """Create, read, change and delete end users; mint their JWTs. Wherever a path takes a
    ``userId`` (``user_ref``), the username works too."""

    tags = ["Users"]
    dependencies = {"isv": Provide(provide_isv)}

    @post("/users", summary="Create a user")
    async def create_user(
        self, data: CreateUser, isv: IsvContext, db_session: AsyncSession
    ) -> CreatedUser:
        """201 ``{"userId"}``; 409 when the username exists; 422 without a username."""
        user = await services.create_user(db_session, isv, data.username, data.full_name)
        return CreatedUser(user_id=str(user.id))

    @post("/users/batch", summary="Create many users")
    async def create_users(
        self, data: CreateUsers, isv: IsvContext, db_session: AsyncSession
    ) -> BatchResult:
        """201 with the users created and, in ``errors``, each username refused (taken, or
        repeated in the batch); 422 for no users, over 1000, or an invalid entry."""
        batch = await services.create_users(
            db_session, isv, [(u.username, u.full_name) for u in data.users]
        )
        return BatchResult(
            data=[BatchCreated(user_id=str(u.id), username=u.username) for u in batch.created],
            errors=[BatchError(username=name, message=message) for name, message in batch.refused],
        )

    @get("/users", summary="List users")
    async def list_users(
        self,
        isv: IsvContext,
        db_session: AsyncSession,
        limit: Annotated[str | None, QueryParameter(name="limit")] = None,
        cursor: Annotated[str | None, QueryParameter(name="cursor")] = None,
    ) -> UserList:
        """``{"data", "nextCursor"}``, oldest first; ``limit`` 1 to 1000 (default 100, else
        422); pass ``nextCursor`` back as ``cursor`` for the next page (null on the last)."""
        page = await services.list_users(db_session, isv, limit=page_size(limit), cursor=cursor)
        return UserList(data=[_user(u) for u in page.users], next_cursor=page.next_cursor)

    @get("/users/{user_ref:str}", summary="Get a user")
    async def get_user(self, user_ref: str, isv: IsvContext, db_session: AsyncSession) -> User:
        """``user_ref`` is the ``userId`` or the ``username``."""
        return _user(await services.get_user(db_session, isv, user_ref))

    @put("/users/{user_ref:str}", summary="Update a user")
    async def update_user(
        self, user_ref: str, data: UpdateUser, isv: IsvContext, db_session: AsyncSession
    ) -> User:
        """The changed user; 409 when the new username is taken, 422 for an empty one."""
        user = await services.update_user(
            db_session, isv, user_ref, username=data.username, full_name=data.full_name
        )
        return _user(user)

    @delete("/users/{user_ref:str}", status_code=200, summary="Delete a user")
    async def delete_user(
        self, user_ref: str, isv: IsvContext, db_session: AsyncSession
    ) -> Success:
        """``{"success": true}``; the user's credentials, installations and links go too."""
        await services.delete_user(db_session, isv, user_ref)
        return Success()

    @get(["/users/{user_ref:str}/token", "/user/{user_ref:str}/token"], summary="Mint a user JWT")
    async def user_token(
        self, user_ref: str, isv: IsvContext, db_session: AsyncSession, user_tokens: UserTokens
    ) -> UserToken:
        """``{"token"}``: an EdDSA JWT for the frontend SDK, valid for 3600 s."""
        return UserToken(token=await services.mint_token(db_session, isv, user_ref, user_tokens))

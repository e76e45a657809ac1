"""ISV API: end users and their hour-long JWTs (Alloy API reference, "Users")."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.isvs.dependencies import provide_isv
from install_service.isvs.services import IsvContext
from install_service.security.user_tokens import UserTokens
from install_service.users.schemas import CreatedUser, CreateUser, User, UserList, UserToken
from install_service.users.services import UserService


async def provide_user_service(db_session: AsyncSession) -> UserService:
    return UserService(session=db_session)


def _user(row) -> User:  # noqa: ANN001
    return User(
        user_id=str(row.id), username=row.username, full_name=row.full_name, created_at=row.created_at
    )


class UsersController(Controller):
    """Create and read end users; mint their JWTs."""

    tags = ["Users"]
    dependencies = {"isv": Provide(provide_isv), "users": Provide(provide_user_service)}

    @post("/users", summary="Create a user")
    async def create_user(self, data: CreateUser, isv: IsvContext, users: UserService) -> CreatedUser:
        """201 ``{"userId"}``; 409 when the username exists; 422 without a username."""
        user = await users.create_user(isv, data.username, data.full_name)
        return CreatedUser(user_id=str(user.id))

    @get("/users", summary="List users")
    async def list_users(self, isv: IsvContext, users: UserService) -> UserList:
        return UserList(data=[_user(u) for u in await users.list_users(isv)])

    @get("/users/{user_ref:str}", summary="Get a user")
    async def get_user(self, user_ref: str, isv: IsvContext, users: UserService) -> User:
        """``user_ref`` is the ``userId`` or the ``username``."""
        return _user(await users.get_user(isv, user_ref))

    @get(["/users/{user_ref:str}/token", "/user/{user_ref:str}/token"], summary="Mint a user JWT")
    async def user_token(
        self, user_ref: str, isv: IsvContext, users: UserService, user_tokens: UserTokens
    ) -> UserToken:
        """``{"token"}``: an EdDSA JWT for the frontend SDK, valid for 3600 s."""
        user = await users.get_user(isv, user_ref)
        return UserToken(token=user_tokens.mint(user_id=str(user.id), isv_id=str(isv.isv.id)))

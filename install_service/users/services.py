"""End users: created by the ISV backend, one per ISV customer."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
from advanced_alchemy.exceptions import IntegrityError
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import and_, or_, select

from install_service.db.models import EndUser
from install_service.errors import Conflict, NotFound
from install_service.ids import parse_id
from install_service.isvs.services import IsvContext
from install_service.users.pagination import decode_cursor, encode_cursor


def _taken(username: str) -> Conflict:
    return Conflict(f"A user with username {username!r} already exists", code="duplicate_user")


@dataclass(slots=True)
class Batch:
    """What ``create_users`` did: users created (in request order), and refusals as
    ``(username, message)`` pairs."""

    created: list[EndUser] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[EndUser]
    next_cursor: str | None


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
        if await self._by_username(ctx, username) is not None:
            raise _taken(username)
        user = EndUser(
            isv_id=ctx.isv.id, environment=ctx.environment, username=username, full_name=full_name
        )
        try:
            return await self.create(user, auto_commit=False)
        except IntegrityError as exc:  # lost a race with an identical request
            raise _taken(username) from exc

    async def create_users(self, ctx: IsvContext, entries: list[tuple[str, str | None]]) -> Batch:
        """Create each ``(username, full_name)`` whose username is free; the first of a
        repeated username wins and the rest are refused, as is any existing username.

        Raises:
            Conflict: another request took one of these usernames meanwhile (409; nothing
                is created, so the batch can be sent again).
        """
        names = [username.strip() for username, _ in entries]
        existing = set(
            await self.repository.session.scalars(
                select(EndUser.username).where(*self._scope(ctx), EndUser.username.in_(set(names)))
            )
        )
        batch, seen = Batch(), set()
        for username, (_, full_name) in zip(names, entries, strict=True):
            if username in existing:
                batch.refused.append((username, "A user with this username already exists"))
            elif username in seen:
                batch.refused.append(
                    (username, "This username appears more than once in the batch")
                )
            else:
                seen.add(username)
                batch.created.append(
                    EndUser(
                        isv_id=ctx.isv.id,
                        environment=ctx.environment,
                        username=username,
                        full_name=full_name,
                    )
                )
        if batch.created:
            try:
                batch.created = list(await self.create_many(batch.created, auto_commit=False))
            except IntegrityError as exc:
                raise Conflict(
                    "Some of these usernames were taken meanwhile; send the batch again",
                    code="duplicate_user",
                ) from exc
        return batch

    async def list_users(
        self, ctx: IsvContext, *, limit: int, cursor: str | None = None
    ) -> UserPage:
        """Up to ``limit`` users, oldest first, after ``cursor``; ``next_cursor`` is None on
        the last page.

        Raises:
            InvalidInput: a cursor this service did not make (422).
        """
        query = select(EndUser).where(*self._scope(ctx))
        after = decode_cursor(cursor)
        if after is not None:
            created_at, user_id = after
            query = query.where(
                or_(
                    EndUser.created_at > created_at,
                    and_(EndUser.created_at == created_at, EndUser.id > user_id),
                )
            )
        query = query.order_by(EndUser.created_at.asc(), EndUser.id.asc()).limit(limit + 1)
        users = list(await self.repository.session.scalars(query))
        if len(users) <= limit:
            return UserPage(users, None)
        last = users[limit - 1]
        return UserPage(users[:limit], encode_cursor(last.created_at, last.id))

    async def get_user(self, ctx: IsvContext, user_ref: str) -> EndUser:
        """The user whose ``userId`` or ``username`` is ``user_ref``.

        Raises:
            NotFound: no such user in this ISV environment (404, also for other ISVs' users).
        """
        user = await self._find(ctx, user_ref)
        if user is None:
            raise NotFound("User not found", code="user_not_found")
        return user

    async def update_user(
        self,
        ctx: IsvContext,
        user_ref: str,
        *,
        username: str | msgspec.UnsetType = msgspec.UNSET,
        full_name: str | msgspec.UnsetType | None = msgspec.UNSET,
    ) -> EndUser:
        """Rename the user and/or set (``None``: clear) the full name; UNSET leaves a field.

        Raises:
            NotFound: no such user in this ISV environment (404).
            Conflict: another user of this environment has the new username (409).
        """
        user = await self.get_user(ctx, user_ref)
        if username is not msgspec.UNSET:
            username = username.strip()
            other = await self._by_username(ctx, username)
            if other is not None and other.id != user.id:
                raise _taken(username)
            user.username = username
        if full_name is not msgspec.UNSET:
            user.full_name = full_name
        try:
            return await self.update(user, auto_commit=False)
        except IntegrityError as exc:  # lost a race with a request taking that username
            raise _taken(user.username) from exc

    async def delete_user(self, ctx: IsvContext, user_ref: str) -> None:
        """Delete the user with everything of theirs: credentials, installations and their
        installed workflows, install links, user-specific workflow versions (every table's
        ``end_user`` foreign key is ``ON DELETE CASCADE``; SQLite enforces it through
        ``PRAGMA foreign_keys=ON``, see ``db.config``). Their JWTs stop working, as the
        modal looks the user up.

        Raises:
            NotFound: no such user in this ISV environment (404).
        """
        user = await self.get_user(ctx, user_ref)
        await self.delete(user.id, auto_commit=False)

    @staticmethod
    def _scope(ctx: IsvContext) -> tuple:
        return (EndUser.isv_id == ctx.isv.id, EndUser.environment == ctx.environment)

    async def _by_username(self, ctx: IsvContext, username: str) -> EndUser | None:
        return await self.repository.session.scalar(
            select(EndUser).where(EndUser.username == username, *self._scope(ctx))
        )

    async def _find(self, ctx: IsvContext, user_ref: str) -> EndUser | None:
        user_id = parse_id(user_ref)
        if user_id is not None:
            found = await self.repository.session.scalar(
                select(EndUser).where(EndUser.id == user_id, *self._scope(ctx))
            )
            if found is not None:
                return found
        return await self._by_username(ctx, user_ref)

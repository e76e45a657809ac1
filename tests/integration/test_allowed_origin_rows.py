"""An ISV's allowed origins are rows matched by equality: exactly, never a look-alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from install_service.db.config import sqlalchemy_config
from install_service.db.models import Isv, IsvAllowedOrigin
from install_service.enduser.services import listed_by_any_isv, request_origin
from install_service.isvs.services import create_isv

pytestmark = pytest.mark.usefixtures("backend")


async def test_origins_match_exactly_and_keep_their_order(database_url: str) -> None:
    config = sqlalchemy_config(database_url)
    try:
        async with config.get_session() as session:
            created = await create_isv(
                session,
                name="AcmeCo",
                allowed_origins=["https://ACME.example.com/", "http://localhost:9100"],
            )
            isv_id = created.isv.id
        async with config.get_session() as session:
            isv = await session.get_one(Isv, isv_id)
            assert isv.allowed_origins == ["https://acme.example.com", "http://localhost:9100"]
            for origin, listed in [
                ("https://acme.example.com", True),
                ("https://Acme.Example.com", True),  # normalised like the stored ones
                ("https://acme.example.com.evil.com", False),
                ("https://evil.com/https://acme.example.com", False),
                ("https://acme.example.co", False),
                ("http://acme.example.com", False),
            ]:
                assert await listed_by_any_isv(session, request_origin(origin)) is listed, origin

            isv.allowed_origins = ["http://localhost:9100", "https://new.example.com"]
            await session.commit()  # a kept origin keeps its row: no unique clash
        async with config.get_session() as session:
            isv = await session.get_one(Isv, isv_id)
            assert isv.allowed_origins == ["http://localhost:9100", "https://new.example.com"]
            assert await session.scalar(select(func.count()).select_from(IsvAllowedOrigin)) == 2
            assert not await listed_by_any_isv(session, "https://acme.example.com")
    finally:
        await config.get_engine().dispose()

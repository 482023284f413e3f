"""The database side of the baselines: the app's engines, schema and message insert, nothing else.

The raw baseline and the "database alone" loop insert a message exactly as the app stores one:
same table (created by the app's migrations), same engine factory (SQLite: WAL,
synchronous=NORMAL, BEGIN IMMEDIATE on a one-connection write engine; PostgreSQL: asyncpg with
the same pool), one transaction per message, with the search text the app writes (so the
search index does the same work).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.ids import SnowflakeGenerator
from adapters.sql.database import Database
from adapters.sql.engines import (
    create_postgres_engine,
    create_sqlite_engine,
    normalize_url,
)
from adapters.sql.engines import sqlite_url_for as sqlite_url
from adapters.sql.models import ChannelRow, MemberRow, MessageRow, ServerRow, UserRow
from adapters.sql.search import document

MESSAGES = MessageRow.__table__
INSERT_MESSAGE = insert(MESSAGES)
__all__ = ["MessageWriter", "count_messages", "prepare", "sqlite_url", "write_engine"]

WORKER_ID = 1000
"""Snowflake worker of the baselines (the app uses 0 unless told otherwise)."""


def write_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """The engine the app writes messages with."""
    parsed, dialect = normalize_url(url)
    if dialect == "sqlite":
        return create_sqlite_engine(parsed, immediate=True, pool_size=1, max_overflow=0)
    return create_postgres_engine(parsed, pool_size=pool_size)


async def prepare(url: str) -> dict[str, int]:
    """Migrate a fresh database and add one user, server (with membership) and channel."""
    database = Database.from_url(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()
    ids = SnowflakeGenerator(WORKER_ID)
    now = datetime.now(UTC)
    user_id, server_id, channel_id = ids.next_id(), ids.next_id(), ids.next_id()
    name = f"raw{secrets.token_hex(4)}"
    engine = write_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(UserRow.__table__).values(
                    id=user_id,
                    username=name,
                    email=f"{name}@example.com",
                    password_hash="x",
                    status="online",
                    created_at=now,
                    updated_at=now,
                )
            )
            await conn.execute(
                insert(ServerRow.__table__).values(
                    id=server_id, name="raw", description="", owner_id=user_id, created_at=now
                )
            )
            await conn.execute(
                insert(MemberRow.__table__).values(
                    server_id=server_id, user_id=user_id, role="owner", joined_at=now
                )
            )
            await conn.execute(
                insert(ChannelRow.__table__).values(
                    id=channel_id,
                    server_id=server_id,
                    name="general",
                    topic="",
                    position=0,
                    created_at=now,
                )
            )
    finally:
        await engine.dispose()
    return {"user_id": user_id, "server_id": server_id, "channel_id": channel_id}


class MessageWriter:
    """Inserts messages the way the app stores them: one transaction each."""

    def __init__(self, engine: AsyncEngine, ids: dict[str, int]) -> None:
        self.engine = engine
        self.channel_id = ids["channel_id"]
        self.server_id = ids["server_id"]
        self.author_id = ids["user_id"]
        self.snowflakes = SnowflakeGenerator(WORKER_ID)

    async def insert(self, content: str, nonce: str | None = None) -> dict[str, Any]:
        row = {
            "id": self.snowflakes.next_id(),
            "channel_id": self.channel_id,
            "server_id": self.server_id,
            "author_id": self.author_id,
            "content": content,
            "created_at": datetime.now(UTC),
            "edited_at": None,
            "nonce": nonce,
            # The same row as the app's: the text the search index follows (its triggers /
            # generated column do the same work as for the app's insert).
            "search_text": document(
                content,
                server_id=self.server_id,
                channel_id=self.channel_id,
                author_id=self.author_id,
            ),
        }
        async with self.engine.begin() as conn:
            await conn.execute(INSERT_MESSAGE, row)
        return row


async def count_messages(url: str) -> int:
    engine = write_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(MESSAGES))).scalar())
    finally:
        await engine.dispose()


# --- PostgreSQL databases per run ---------------------------------------------------------------


def _admin_dsn(base_url: str) -> str:
    parsed, _ = normalize_url(base_url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )


async def create_pg_database(base_url: str) -> str:
    """CREATE DATABASE bench_<hex>; return its SQLAlchemy URL."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_admin_dsn(base_url), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parsed, _ = normalize_url(base_url)
    return parsed.set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(url: str) -> None:
    import asyncpg

    parsed, _ = normalize_url(url)
    conn = await asyncpg.connect(_admin_dsn(url), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


async def pg_available(base_url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    import asyncpg

    try:
        conn = await asyncpg.connect(_admin_dsn(base_url), timeout=3)
        await conn.close()
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None

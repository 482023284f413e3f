"""Migration 0002 indexes the messages a database already has (with progress in the log), 0006
indexes the files of those posted with attachments, and the SQLite index survives what the
database does to it: integrity checks after writes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.sql import search
from adapters.sql.database import Database, sqlite_url_for
from discord_core.search import Has, SearchQuery, parse_content

T0 = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def at_0001(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database migrated to 0001 (before search) with 12 messages in one channel."""
    if request.param == "sqlite":
        url = sqlite_url_for(tmp_path / "old.db")
    else:
        factory: Callable[[], str] = request.getfixturevalue("postgres_database_factory")
        url = factory()
    db = Database.from_url(url, pool_size=2)
    await db.upgrade("0001")
    async with db.write_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, username, email, password_hash, status, created_at, "
                "updated_at) VALUES (1, 'old', 'old@x.org', 'h', 'online', :t, :t)"
            ),
            {"t": T0},
        )
        await conn.execute(
            text(
                "INSERT INTO servers (id, name, description, owner_id, created_at) "
                "VALUES (2, 's', '', 1, :t)"
            ),
            {"t": T0},
        )
        await conn.execute(
            text(
                "INSERT INTO channels (id, server_id, name, topic, position, created_at) "
                "VALUES (3, 2, 'general', '', 0, :t)"
            ),
            {"t": T0},
        )
        await conn.execute(
            text(
                "INSERT INTO messages (id, channel_id, server_id, author_id, content, created_at) "
                "VALUES (:id, 3, 2, 1, :content, :t)"
            ),
            [
                {"id": 100 + i, "content": f"Ancient Café message {i} https://x.org", "t": T0}
                for i in range(12)
            ],
        )
    try:
        yield db
    finally:
        await db.dispose()


async def _find(db: Database, content: str) -> list[int]:
    parsed = parse_content(content)
    query = SearchQuery(server_id=2, channel_ids=None, terms=parsed.terms, limit=25)
    async with db.uow_factory(read_only=True) as uow:
        page = await uow.search.search(query)
    return [view.message.id for view in page.messages]


async def test_upgrade_indexes_existing_messages(
    at_0001: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.sql.search")
    await at_0001.upgrade()
    assert await _find(at_0001, "cafe ancient") == list(range(111, 99, -1))
    assert await _find(at_0001, "message 7") == [107]
    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.sql.search"]
    assert any("12 of 12 messages (100 %" in line for line in lines), lines
    assert any("12 messages indexed" in line for line in lines), lines
    # Edits of old messages are followed too.
    async with at_0001.uow_factory() as uow:
        view = await uow.messages.get(105)
        assert view is not None
        view.message.content = "renamed"
        await uow.messages.update(view.message)
        await uow.commit()
    assert await _find(at_0001, "renamed") == [105]
    assert 105 not in await _find(at_0001, "ancient")


async def test_upgrade_indexes_the_files_of_existing_messages(at_0001: Database) -> None:
    await at_0001.upgrade("0005")
    async with at_0001.write_engine.begin() as conn:
        await conn.execute(text("UPDATE messages SET attachment_count = 1 WHERE id IN (100, 101)"))
        for attachment, message, kind in ((900, 100, "text/plain"), (901, 101, "image/png")):
            await conn.execute(
                text(
                    "INSERT INTO attachments (id, message_id, channel_id, server_id, filename, "
                    "content_type, size, sha256, has_thumbnail) VALUES "
                    "(:id, :message, 3, 2, 'f', :kind, 1, :sha, false)"
                ),
                {"id": attachment, "message": message, "kind": kind, "sha": "0" * 64},
            )
    await at_0001.upgrade()

    async def having(*has: Has) -> list[int]:
        query = SearchQuery(server_id=2, channel_ids=None, has=frozenset(has), limit=25)
        async with at_0001.uow_factory(read_only=True) as uow:
            return [view.message.id for view in (await uow.search.search(query)).messages]

    assert await having(Has.FILE) == [101, 100]
    assert await having(Has.IMAGE) == [101]
    assert await _find(at_0001, "ancient message 101") == []  # the words stay as they were
    assert await _find(at_0001, "ancient message 1") == [101]
    if at_0001.dialect == "sqlite":
        async with at_0001.write_engine.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) "
                    "VALUES ('integrity-check', 1)"
                )
            )


async def test_backfill_reports_progress_in_batches(at_0001: Database) -> None:
    seen: list[tuple[int, int]] = []
    async with at_0001.write_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE messages ADD COLUMN search_text TEXT"))
        done = await conn.run_sync(
            lambda sync: search.backfill(sync, batch=5, progress=lambda d, t: seen.append((d, t)))
        )
    assert done == 12
    assert seen == [(5, 12), (10, 12), (12, 12)]


async def test_sqlite_index_matches_its_content_after_writes(tmp_path: Path) -> None:
    """FTS5's own integrity check (index against the messages table) after inserts, edits,
    deletes and a cascading channel delete."""
    db = Database.from_url(sqlite_url_for(tmp_path / "fts.db"), pool_size=1)
    try:
        await db.upgrade()
        async with db.write_engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, username, email, password_hash, status, created_at,"
                    " updated_at) VALUES (1, 'u', 'u@x.org', 'h', 'online', :t, :t)"
                ),
                {"t": T0},
            )
            await conn.execute(
                text(
                    "INSERT INTO servers (id, name, description, owner_id, created_at)"
                    " VALUES (2, 's', '', 1, :t)"
                ),
                {"t": T0},
            )
            for channel in (3, 4):
                await conn.execute(
                    text(
                        "INSERT INTO channels (id, server_id, name, topic, position, created_at)"
                        f" VALUES ({channel}, 2, 'c', '', 0, :t)"
                    ),
                    {"t": T0},
                )
        from discord_core.model import Message

        async with db.uow_factory() as uow:
            for i in range(20):
                message = Message(1000 + i, 3 + i % 2, 2, 1, f"word{i} common", T0)
                await uow.messages.add(message)
            await uow.commit()
        async with db.uow_factory() as uow:
            view = await uow.messages.get(1000)
            assert view is not None
            view.message.content = "edited"
            await uow.messages.update(view.message)
            await uow.messages.delete(1002)
            await uow.channels.delete(4)
            await uow.commit()
        async with db.write_engine.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}, rank) "
                    "VALUES ('integrity-check', 1)"
                )
            )
            indexed = (
                await conn.execute(
                    text(
                        f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} "
                        "MATCH 'common'"
                    )
                )
            ).scalar_one()
        assert indexed == 8  # 10 in channel 3: one edited away, one deleted; channel 4 gone
    finally:
        await db.dispose()

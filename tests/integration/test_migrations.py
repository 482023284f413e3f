"""Alembic migrations on empty SQLite and PostgreSQL databases: they reach head, build exactly
the models' schema (autogenerate finds nothing to do), and downgrade back to nothing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import adapters
from adapters.sql import search
from adapters.sql.database import Database, sqlite_url_for
from adapters.sql.migrate import SCRIPT_LOCATION, VERSION_TABLE, include_object
from adapters.sql.models import metadata

TABLES = {
    "users",
    "bots",
    "auth_sessions",
    "servers",
    "members",
    "channels",
    "messages",
    "invites",
    "attachments",
    "file_deletions",
    "outbox",
    "topic_sequences",
    "bans",
    "audit_log",
    "reactions",
    "channel_recipients",
    "blocks",
    "message_mentions",
    "read_states",
    "server_notification_settings",
    "channel_notification_settings",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        url = sqlite_url_for(tmp_path / "empty.db")
    else:
        factory: Callable[[], str] = request.getfixturevalue("postgres_database_factory")
        url = factory()
    db = Database.from_url(url, pool_size=2)
    try:
        yield db
    finally:
        await db.dispose()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "version_table": VERSION_TABLE,
            "include_object": include_object,
        },
    )
    return list(compare_metadata(context, metadata))


HEAD = Database.head_revision()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _search_objects(connection: Connection) -> set[str]:
    """The search index's objects that models.py does not declare (see adapters/sql/search.py)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND (name LIKE 'messages_fts%' OR name LIKE 'messages_search_%')"
        ).all()
        return {row[0] for row in rows}
    inspector = inspect(connection)
    found = {c["name"] for c in inspector.get_columns("messages") if c["name"] == "search_vector"}
    found |= {
        str(ix["name"])
        for ix in inspector.get_indexes("messages")
        if search.is_search_object(ix["name"], "index")
    }
    return found


def _schema(connection: Connection) -> dict[str, Any]:
    """Constraint and index names per table, as the database reports them."""
    inspector = inspect(connection)
    schema: dict[str, Any] = {}
    for table in sorted(TABLES):
        schema[table] = {
            "pk": inspector.get_pk_constraint(table)["name"],
            "fk": sorted(str(fk["name"]) for fk in inspector.get_foreign_keys(table)),
            "uq": sorted(str(uq["name"]) for uq in inspector.get_unique_constraints(table)),
            "ix": sorted(
                str(ix["name"])
                for ix in inspector.get_indexes(table)
                if not ix.get("duplicates_constraint")  # PostgreSQL lists UNIQUE's index too
                and not search.is_search_object(ix["name"], "index")
            ),
        }
    return schema


async def test_upgrade_builds_the_models_schema(empty_database: Database) -> None:
    db = empty_database
    assert await db.current_revision() is None
    await db.upgrade()
    assert await db.current_revision() == db.head_revision() == HEAD
    async with db.write_engine.connect() as connection:
        tables = await connection.run_sync(_tables)
        assert {t for t in tables if not search.is_search_object(t, "table")} == TABLES | {
            VERSION_TABLE
        }
        assert await connection.run_sync(_diff) == []
        schema = await connection.run_sync(_schema)
        index = await connection.run_sync(_search_objects)
    if db.dialect == "sqlite":
        assert {search.FTS_TABLE, *search.SQLITE_TRIGGERS} <= index
    else:
        assert index == {search.VECTOR_COLUMN, search.VECTOR_INDEX}
    assert schema["members"]["pk"] == "pk_members"
    assert schema["messages"]["uq"] == ["uq_messages_author_id_nonce"]
    assert schema["messages"]["ix"] == [
        "ix_messages_author_id_id",
        "ix_messages_channel_id_author_id_id",
        "ix_messages_channel_id_id",
        "ix_messages_channel_id_id_everyone",
        "ix_messages_channel_id_pinned_at",
    ]
    assert schema["messages"]["fk"] == [
        "fk_messages_author_id_users",
        "fk_messages_channel_id_channels",
    ]
    assert schema["users"]["uq"] == ["uq_users_email", "uq_users_username"]
    assert schema["invites"]["pk"] == "pk_invites"
    assert schema["channels"]["ix"] == ["ix_channels_server_id_position"]
    assert schema["attachments"]["fk"] == ["fk_attachments_message_id_messages"]
    assert schema["file_deletions"]["pk"] == "pk_file_deletions"
    assert schema["outbox"]["uq"] == ["uq_outbox_topic_seq"]
    if db.dialect == "postgresql":  # the trigger that numbers events at COMMIT
        async with db.write_engine.connect() as connection:
            found = await connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'outbox'::regclass"
            )
            assert [row[0] for row in found] == ["outbox_number"]
    await db.upgrade()  # at head already: nothing to do
    assert await db.current_revision() == HEAD


async def test_downgrade_to_base_removes_everything(empty_database: Database) -> None:
    db = empty_database
    await db.upgrade()
    await db.downgrade("base")
    assert await db.current_revision() is None
    async with db.write_engine.connect() as connection:
        assert await connection.run_sync(_tables) <= {VERSION_TABLE}
    await db.upgrade()  # and back up again
    assert await db.current_revision() == HEAD


async def test_instances_starting_together_migrate_once(empty_database: Database) -> None:
    """N instances run `upgrade` at startup at the same moment: all succeed."""
    url = empty_database.write_engine.url.render_as_string(hide_password=False)
    others = [Database.from_url(url, pool_size=1) for _ in range(3)]
    try:
        await asyncio.gather(*(db.upgrade() for db in [empty_database, *others]))
    finally:
        for db in others:
            await db.dispose()
    assert await empty_database.current_revision() == HEAD


def test_migration_scripts_ship_inside_the_package() -> None:
    package = Path(adapters.__file__).resolve().parent
    assert SCRIPT_LOCATION.is_relative_to(package)
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert (SCRIPT_LOCATION / "script.py.mako").is_file()
    names = sorted(p.name for p in (SCRIPT_LOCATION / "versions").glob("*.py"))
    assert names[:3] == ["0001_initial.py", "0002_message_search.py", "0003_attachments.py"]
    assert "0005_outbox.py" in names
    assert all(re.fullmatch(r"\d{4}_\w+\.py", name) for name in names), names
    assert names[-1][:4] == HEAD  # one head: the newest file


def _sqlite_revision(path: Path) -> str | None:
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    return rows[0][0] if rows else None


def test_alembic_command_line_path(tmp_path: Path) -> None:
    """`alembic upgrade head` with sqlalchemy.url set (env.py's own event loop)."""
    from alembic import command
    from alembic.config import Config

    path = tmp_path / "cli.db"
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    command.upgrade(config, "head")
    assert _sqlite_revision(path) == HEAD
    command.downgrade(config, "base")
    assert _sqlite_revision(path) is None


def test_advanced_alchemy_alembic_commands_path(tmp_path: Path) -> None:
    """advanced-alchemy's AlembicCommands (what `litestar database upgrade` runs)."""
    from advanced_alchemy.alembic.commands import AlembicCommands
    from advanced_alchemy.config import SQLAlchemyAsyncConfig

    from adapters.sql.migrate import ALEMBIC_CONFIG

    path = tmp_path / "aa.db"
    config = SQLAlchemyAsyncConfig(
        connection_string=sqlite_url_for(path), alembic_config=ALEMBIC_CONFIG
    )
    AlembicCommands(config).upgrade()
    assert _sqlite_revision(path) == HEAD

"""Message search: `messages.search_text`, the SQLite FTS5 table and its triggers, the
PostgreSQL tsvector column and its GIN index; existing messages are indexed (with progress in
the log).

See adapters/sql/search.py for what is indexed and why.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""

import logging
import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adapters.sql import search

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("adapters.sql.search")


def upgrade() -> None:
    connection = op.get_bind()
    op.add_column("messages", sa.Column("search_text", sa.Text(), nullable=True))
    started = time.monotonic()
    indexed = search.backfill(connection)  # before the index exists: one pass, no triggers
    if connection.dialect.name == "postgresql":
        if indexed:
            log.info("search index: computing the vectors of %s messages", f"{indexed:,}")
        op.execute(search.PG_ADD_VECTOR)
        op.execute(search.PG_CREATE_INDEX)
    else:
        op.execute(search.SQLITE_CREATE_FTS)
        if indexed:
            log.info("search index: building the FTS5 index of %s messages", f"{indexed:,}")
            op.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('rebuild')")
        search.create_sqlite_triggers(connection)
    if indexed:
        took = time.monotonic() - started
        log.info("search index: %s messages indexed in %.1f s", f"{indexed:,}", took)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {search.VECTOR_INDEX}")
        op.drop_column("messages", search.VECTOR_COLUMN)
        op.drop_column("messages", "search_text")
    else:
        search.drop_sqlite_triggers(connection)
        op.execute(f"DROP TABLE IF EXISTS {search.FTS_TABLE}")
        with op.batch_alter_table("messages") as batch:
            batch.drop_column("search_text")

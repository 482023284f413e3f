"""Search: messages with files are indexed with has:file (and has:image for pictures).

The messages posted with attachments before this revision were indexed without those words:
their search text is written again (in batches, with progress, like 0002's backfill).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

from alembic import op

from adapters.sql import search

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reindex_messages_with_files(with_files: bool) -> None:
    connection = op.get_bind()
    op.execute("UPDATE messages SET search_text = NULL WHERE attachment_count > 0")
    search.backfill(connection, with_files=with_files)


def upgrade() -> None:
    _reindex_messages_with_files(True)


def downgrade() -> None:
    _reindex_messages_with_files(False)

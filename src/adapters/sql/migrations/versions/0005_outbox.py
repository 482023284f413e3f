"""The transactional outbox: committed events with a per-topic sequence.

On PostgreSQL a deferred constraint trigger numbers each event at COMMIT (adapters/sql/outbox.py
says why); SQLite's single writer numbers them itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NUMBER_FUNCTION = """
CREATE FUNCTION outbox_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
BEGIN
    INSERT INTO topic_sequences (topic, seq) VALUES (NEW.topic, 1)
    ON CONFLICT (topic) DO UPDATE SET seq = topic_sequences.seq + 1
    RETURNING seq INTO next_seq;
    UPDATE outbox SET seq = next_seq WHERE id = NEW.id;
    -- The committing client learns the number in COMMIT's own round trip.
    RAISE NOTICE USING MESSAGE = 'concord-outbox ' || NEW.id || ' ' || next_seq;
    RETURN NULL;
END
$$
"""
NUMBER_TRIGGER = """
CREATE CONSTRAINT TRIGGER outbox_number AFTER INSERT ON outbox
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.seq IS NULL)
EXECUTE FUNCTION outbox_number()
"""


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("topic", sa.String(48), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(48), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("effect", sa.Text(), nullable=False),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
        sa.Column("join_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("topic", "seq", name="uq_outbox_topic_seq"),
    )
    op.create_table(
        "topic_sequences",
        sa.Column("topic", sa.String(48), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name="pk_topic_sequences"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NUMBER_FUNCTION)
        op.execute(NUMBER_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_number ON outbox")
        op.execute("DROP FUNCTION outbox_number()")
    op.drop_table("topic_sequences")
    op.drop_table("outbox")

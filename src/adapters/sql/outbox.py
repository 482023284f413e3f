"""The transactional outbox: every recorded event is written in the transaction of its change,
with a per-topic sequence, and read back by whoever missed it.

Each topic's events are numbered 1, 2, 3 ... in commit order, with no holes: whoever sees
event n of a topic knows that events 1..n-1 are committed and readable here. The numbers come
from the topic's `topic_sequences` row, bumped under its row lock in the committing
transaction, so two transactions of one topic are numbered in the order they commit.

- SQLite has one writer: the unit of work bumps the rows and inserts the events itself, in
  one call on the driver's thread (one thread hop for the whole outbox, which is most of what
  a statement costs there).
- PostgreSQL: the events are inserted without a number; a deferred constraint trigger
  (migration 0005) numbers them at COMMIT, inside the server, so the lock on a busy topic's row
  is held for the commit alone and never across a round trip to the application (bumping it
  before COMMIT capped one server's sends at what one connection can commit with the
  application's latency in between). The trigger tells the committing connection each number
  in a NOTICE, which arrives with COMMIT's answer (no extra round trip: `listen_for_numbers`);
  whatever a NOTICE did not bring is read back in one query. A send's held message insert
  (`driver.Driver.defer`) goes out with its outbox row as one statement; with nothing else
  written, that statement is the transaction, and the NOTICE comes with its answer.

Rows are inserted sorted by topic (stable), so transactions take topic rows in one order (the
last step of the lock order in `ports.UnitOfWork`). An event whose effect joins a topic
records that topic's position at that event (`join_seq`): the joining sessions get the events
after it.

`SqlEventLog` reads: the current position of topics (`heads`), a topic's events after a
position (`after`), one event by id (`get`); `prune` deletes what is older than retention.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from discord_core.events import Event
from discord_core.ports import IdGenerator

from ..wire import Envelope, EventEncoder, pack_effect, unpack_effect
from .driver import Deferred
from .models import OutboxRow, TopicSequenceRow
from .translate import translated

log = logging.getLogger(__name__)

BUMP_SQL: Final = (
    "INSERT INTO topic_sequences (topic, seq) VALUES ({0}, {1}) "
    "ON CONFLICT (topic) DO UPDATE SET seq = topic_sequences.seq + excluded.seq "
    "RETURNING seq"
)
INSERT_SQL: Final = (
    "INSERT INTO outbox (id, topic, seq, name, payload, effect, dispatched, join_seq) "
    "VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7})"
)
_SQLITE_BUMP: Final = BUMP_SQL.format("?", "?")
_SQLITE_INSERT: Final = INSERT_SQL.format(*["?"] * 8)
_PG_BUMP: Final = BUMP_SQL.format("$1", "$2")
_PG_INSERT: Final = INSERT_SQL.format("$1", "$2", "NULL", "$3", "$4", "$5", "$6", "$7")
"""The number (seq) is NULL: the deferred trigger `outbox_number` sets it at COMMIT."""
_PG_NUMBERS: Final = "SELECT id, seq FROM outbox WHERE id = ANY($1::bigint[])"

_COLUMNS = (
    OutboxRow.id,
    OutboxRow.topic,
    OutboxRow.seq,
    OutboxRow.name,
    OutboxRow.payload,
    OutboxRow.effect,
    OutboxRow.dispatched,
    OutboxRow.join_seq,
)
_AFTER = (
    select(*_COLUMNS)
    .where(OutboxRow.topic == bindparam("topic"), OutboxRow.seq > bindparam("seq"))
    .order_by(OutboxRow.seq)
    .limit(bindparam("limit"))
)
_BY_ID = select(*_COLUMNS).where(OutboxRow.id == bindparam("id"))
HEADS_CHUNK: Final = 500


class DriverSource(Protocol):
    """Where the unit of work's driver connection comes from (driver.Driver)."""

    async def get(self) -> tuple[str, Any]: ...
    def in_transaction(self) -> bool: ...
    async def send(self, held: Sequence[Deferred]) -> None: ...


def _envelope(row: Any) -> Envelope:
    event_id, topic, seq, name, payload, effect, dispatched, join_seq = row
    return Envelope(
        topic=topic,
        name=name,
        payload=payload,
        effect=unpack_effect(effect),
        dispatched=bool(dispatched),
        id=event_id,
        seq=seq or 0,
        join_seq=join_seq or 0,
    )


def _join_topic(envelope: Envelope) -> str | None:
    """The topic this event's effect makes sessions join, if any."""
    join = envelope.effect.join if envelope.effect is not None else None
    return str(join) if join is not None else None


@dataclass(slots=True)
class Pending:
    """What a PostgreSQL transaction wrote, waiting for the numbers COMMIT gives them."""

    connection: Any
    """The asyncpg connection (still checked out by the unit of work)."""
    envelopes: list[Envelope]
    """In recorded order, with their ids and join positions."""
    committed: bool = False
    """The rows went out in one statement outside a transaction: that was the commit."""


def join_positions(envelopes: list[Envelope], joined_at: dict[str, int]) -> list[Envelope]:
    """Each effect that joins a topic gets that topic's position at the event: where the topic
    stood before this transaction (`joined_at`, read under its lock), plus this transaction's
    events of that topic recorded before it."""
    out = []
    for i, envelope in enumerate(envelopes):
        joined = _join_topic(envelope)
        if joined is None:
            out.append(envelope)
            continue
        earlier = sum(1 for other in envelopes[:i] if other.topic == joined)
        out.append(replace(envelope, join_seq=joined_at[joined] + earlier))
    return out


def _joined_topics(envelopes: Sequence[Envelope]) -> list[str]:
    return sorted({t for envelope in envelopes if (t := _join_topic(envelope)) is not None})


def _row(envelope: Envelope, seq: int | None) -> tuple[Any, ...]:
    return (
        envelope.id,
        envelope.topic,
        seq,
        envelope.name,
        envelope.payload,
        pack_effect(envelope.effect),
        envelope.dispatched,
        envelope.join_seq,
    )


NOTICE_PREFIX: Final = "concord-outbox "
_numbers: weakref.WeakKeyDictionary[Any, dict[int, int]] = weakref.WeakKeyDictionary()


def listen_for_numbers(driver: Any) -> None:
    """On each new asyncpg connection: keep the numbers the trigger's NOTICEs announce."""
    numbers: dict[int, int] = {}
    _numbers[driver] = numbers

    def on_notice(_connection: Any, message: Any) -> None:
        text = str(getattr(message, "message", ""))
        if text.startswith(NOTICE_PREFIX):
            event_id, seq = text[len(NOTICE_PREFIX) :].split()
            numbers[int(event_id)] = int(seq)

    driver.add_log_listener(on_notice)


class Outbox:
    """Encodes recorded events and writes them with their sequence (see the module doc)."""

    def __init__(self, encode: EventEncoder, ids: IdGenerator) -> None:
        self._encode = encode
        self._ids = ids
        self.written = 0
        self.unnumbered = 0
        """Committed events whose numbers could not be read back (the relay delivers them)."""
        self.read_back = 0
        """Numbers no NOTICE brought, read with a query instead."""

    def _envelopes(self, events: Sequence[Event]) -> list[Envelope]:
        return [
            replace(self._encode(event), id=event.key or self._ids.next_id()) for event in events
        ]

    async def write(
        self, connection: DriverSource, events: Sequence[Event], held: Sequence[Deferred] = ()
    ) -> Any:
        """Write the events in this transaction (the last statement before COMMIT), after the
        inserts `held` back (PostgreSQL). Returns the numbered envelopes (SQLite) or a
        `Pending` for `numbered` after COMMIT."""
        envelopes = self._envelopes(events)
        self.written += len(envelopes)
        dialect, driver = await connection.get()
        if dialect == "sqlite":
            # aiosqlite runs the function on its thread: the whole outbox in one hop.
            return await driver._execute(_write_sqlite, driver, envelopes)
        if len(held) == 1 and len(envelopes) == 1 and not _joined_topics(envelopes):
            # A send: its insert and its event in one statement (one round trip); alone, it
            # is its own transaction, and the trigger numbers the event as it ends.
            (sql, values), row = held[0], _pg_row(envelopes[0])
            alone = not connection.in_transaction()
            await driver.execute(_with_insert(sql, len(values)), *values, *row)
            return Pending(driver, envelopes, committed=alone)
        if held:
            await connection.send(held)
        # Joining a topic (rare: joins, new servers): lock its row now and read where it
        # stands; COMMIT numbers this transaction's events of it after that.
        joined_at = {
            topic: int(await driver.fetchval(_PG_BUMP, topic, 0))
            for topic in _joined_topics(envelopes)
        }
        envelopes = join_positions(envelopes, joined_at)
        rows = [_pg_row(e) for e in sorted(envelopes, key=_topic)]  # the lock order
        if len(rows) == 1:
            await driver.execute(_PG_INSERT, *rows[0])
        else:
            await driver.executemany(_PG_INSERT, rows)
        return Pending(driver, envelopes)

    async def numbered(self, written: Pending) -> list[Envelope]:
        """After COMMIT (PostgreSQL): the envelopes with their numbers, from the trigger's
        NOTICEs, else in one query. If that fails, the events are committed anyway and the
        relay delivers them (never raises)."""
        ids = [envelope.id for envelope in written.envelopes]
        heard = _numbers.get(written.connection)
        if heard is not None and any(i not in heard for i in ids):
            await asyncio.sleep(0)  # the NOTICE callbacks are scheduled, not yet run
        found = {i: heard.pop(i) for i in ids if i in heard} if heard is not None else {}
        missing = [i for i in ids if i not in found]
        if missing:
            try:
                found.update(dict(await written.connection.fetch(_PG_NUMBERS, missing)))
            except Exception as exc:
                self.unnumbered += len(ids)
                log.warning("could not read back %d event number(s): %s", len(ids), exc)
                return []
            self.read_back += len(missing)
        return [replace(e, seq=int(found[e.id])) for e in written.envelopes]


@functools.cache
def _with_insert(sql: str, count: int) -> str:
    """One statement: `sql` (an insert with `count` parameters) and then one outbox row."""
    marks = [f"${count + n}" for n in range(1, 8)]
    outbox_row = INSERT_SQL.format(marks[0], marks[1], "NULL", *marks[2:])
    return f"WITH held AS ({sql}) {outbox_row}"


def _topic(envelope: Envelope) -> str:
    return envelope.topic


def _pg_row(envelope: Envelope) -> tuple[Any, ...]:
    event_id, topic, _, *rest = _row(envelope, None)
    return (event_id, topic, *rest)


def _write_sqlite(driver: Any, envelopes: list[Envelope]) -> list[Envelope]:
    """On aiosqlite's thread, inside the open write transaction (BEGIN IMMEDIATE)."""
    connection: sqlite3.Connection = driver._conn
    counts = Counter(envelope.topic for envelope in envelopes)
    for joined in _joined_topics(envelopes):
        counts.setdefault(joined, 0)
    running: dict[str, int] = {}
    for topic in sorted(counts):  # the lock order (one writer here, but the same order)
        (last,) = connection.execute(_SQLITE_BUMP, (topic, counts[topic])).fetchone()
        running[topic] = int(last) - counts[topic]
    envelopes = join_positions(envelopes, dict(running))
    numbered = []
    for envelope in envelopes:
        running[envelope.topic] += 1
        numbered.append(replace(envelope, seq=running[envelope.topic]))
    connection.executemany(_SQLITE_INSERT, [_row(e, e.seq) for e in numbered])
    return numbered


class SqlEventLog:
    """Reads the outbox (on the read engine: never waits for the writer)."""

    def __init__(self, read: AsyncEngine, write: AsyncEngine) -> None:
        self._read = read
        self._write = write

    async def heads(self, topics: Sequence[str]) -> dict[str, int]:
        """The sequence of the last committed event of each topic (0: none yet)."""
        found: dict[str, int] = {}
        with translated():
            async with self._read.connect() as connection:
                for start in range(0, len(topics), HEADS_CHUNK):
                    chunk = list(topics[start : start + HEADS_CHUNK])
                    result = await connection.execute(
                        select(TopicSequenceRow.topic, TopicSequenceRow.seq).where(
                            TopicSequenceRow.topic.in_(chunk)
                        )
                    )
                    found.update({topic: int(seq) for topic, seq in result.all()})
        return {topic: found.get(topic, 0) for topic in topics}

    async def after(self, topic: str, seq: int, limit: int = 500) -> list[Envelope]:
        """The topic's events with a sequence above `seq`, in order (at most `limit`)."""
        with translated():
            async with self._read.connect() as connection:
                result = await connection.execute(
                    _AFTER, {"topic": topic, "seq": seq, "limit": limit}
                )
                return [_envelope(row) for row in result.all()]

    async def get(self, event_id: int) -> Envelope | None:
        with translated():
            async with self._read.connect() as connection:
                row = (await connection.execute(_BY_ID, {"id": event_id})).first()
        return _envelope(row) if row is not None else None

    async def prune(self, before_id: int, batch: int = 5000) -> int:
        """Delete events older than `before_id` (a snowflake: a point in time), in batches
        so the writer is never held for long; return how many went."""
        total = 0
        while True:
            oldest = (
                select(OutboxRow.id)
                .where(OutboxRow.id < before_id)
                .order_by(OutboxRow.id)
                .limit(batch)
                .scalar_subquery()
            )
            with translated():
                async with self._write.begin() as connection:
                    result = await connection.execute(
                        delete(OutboxRow).where(OutboxRow.id.in_(oldest))
                    )
            gone = int(getattr(result, "rowcount", 0) or 0)
            total += gone
            if gone < batch:
                return total

"""A message's insert held back until the next statement or the commit (PostgreSQL), on both
databases: whatever the adapter does, the unit of work behaves as if the insert ran at once.

A send writes its message and its outbox row in one statement on PostgreSQL, without BEGIN and
COMMIT of its own; these tests hold that to the unit of work's contract: what the same unit of
work reads sees the message, what it writes after it may refer to it, leaving without a commit
leaves nothing (also for the connection's next user), and the event is committed and numbered
with its message.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from adapters.ids import SnowflakeGenerator
from adapters.sql.database import Database
from adapters.sql.models import OutboxRow
from adapters.sql.outbox import Outbox
from adapters.wire import Envelope
from discord_core.errors import DuplicateKey
from discord_core.events import Event, MessageCreated
from discord_core.model import (
    Attachment,
    Channel,
    Member,
    Message,
    MessageView,
    Role,
    Server,
    User,
    UserStatus,
)
from discord_core.ports import UnitOfWork

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANN, SERVER, CHANNEL = 71, 710, 7100


def _encode(event: Event) -> Envelope:
    return Envelope(topic=str(event.topic), name=event.name, payload="{}")


@pytest.fixture
async def seeded(database: Database) -> Database:
    user = User(ANN, "ann", "ann@example.com", "hash", UserStatus.ONLINE, NOW, NOW)
    async with database.uow_factory() as uow:
        await uow.users.add(user)
        await uow.servers.add(Server(SERVER, "srv", "", ANN, NOW))
        await uow.members.add(Member(SERVER, ANN, Role.OWNER, NOW))
        await uow.channels.add(Channel(CHANNEL, SERVER, "general", "", 0, NOW))
        await uow.commit()
    return database


_ids = itertools.count(1_000)


def _message(content: str = "hello", nonce: str | None = None) -> Message:
    return Message(next(_ids), CHANNEL, SERVER, ANN, content, NOW, nonce=nonce)


async def _stored(database: Database, message_id: int) -> MessageView | None:
    async with database.uow_factory(read_only=True) as uow:
        return await uow.messages.get(message_id)


async def _outbox_rows(database: Database) -> int:
    async with database.read_engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(OutboxRow))).scalar())


async def test_the_unit_of_work_reads_its_own_message_and_drops_it_without_a_commit(
    seeded: Database,
) -> None:
    message = _message()
    async with seeded.uow_factory() as uow:
        await uow.messages.add(message)
        seen = await uow.messages.get(message.id)  # through SQLAlchemy
        assert seen is not None
        assert seen.message.content == "hello"
        channels = await uow.channels.list_for_member(ANN)  # straight on the driver
        assert [c.id for c in channels] == [CHANNEL]
    assert await _stored(seeded, message.id) is None


async def test_a_row_written_after_the_message_may_refer_to_it(seeded: Database) -> None:
    message = _message()
    attachment = Attachment(
        id=next(_ids),
        message_id=message.id,
        channel_id=CHANNEL,
        server_id=SERVER,
        filename="a.txt",
        content_type="text/plain",
        size=3,
        sha256="0" * 64,
    )
    async with seeded.uow_factory() as uow:
        await uow.messages.add(message)
        await uow.attachments.add_many([attachment])  # its foreign key needs the message
        await uow.commit()
    stored = await _stored(seeded, message.id)
    assert stored is not None
    async with seeded.uow_factory(read_only=True) as uow:
        assert await uow.attachments.get(attachment.id) == attachment


async def test_what_is_left_uncommitted_never_reaches_the_connections_next_user(
    seeded: Database,
) -> None:
    """The pool hands the connection just returned out first: an insert held back and
    dropped must not go out with the next unit of work's statements."""
    dropped = _message("dropped")
    for leave in ("exit", "rollback", "error"):
        try:
            async with seeded.uow_factory() as uow:
                await uow.messages.add(dropped)
                if leave == "rollback":
                    await uow.rollback()
                if leave == "error":
                    raise RuntimeError("boom")
        except RuntimeError:
            pass
        kept = _message("kept")
        async with seeded.uow_factory() as uow:
            await uow.messages.add(kept)
            await uow.commit()
        async with seeded.uow_factory() as uow:
            await uow.users.get(ANN)
            await uow.commit()
        assert await _stored(seeded, dropped.id) is None, leave
        assert await _stored(seeded, kept.id) is not None, leave


async def test_a_message_and_its_event_are_committed_and_numbered_together(
    seeded: Database,
) -> None:
    factory = seeded.uow_factory
    factory.outbox = Outbox(_encode, SnowflakeGenerator(worker_id=1))
    sent: list[list[Envelope]] = []

    async def send(envelopes: list[Envelope]) -> None:
        sent.append(envelopes)

    factory.send = send

    def post(message: Message, fail: bool = False) -> object:
        async def work(uow: UnitOfWork) -> None:
            await uow.messages.add(message)
            uow.record([MessageCreated(SERVER, MessageView(message, "ann", None))])
            if fail:
                raise RuntimeError("the send failed after its insert")

        return factory.run(work)

    first, second = _message("one", nonce="n1"), _message("two")
    await post(first)  # type: ignore[misc]
    await post(second)  # type: ignore[misc]
    assert [[(e.topic, e.name, e.seq) for e in batch] for batch in sent] == [
        [(f"server:{SERVER}", "MESSAGE_CREATE", 1)],
        [(f"server:{SERVER}", "MESSAGE_CREATE", 2)],
    ]
    assert await _stored(seeded, first.id) is not None
    assert await _stored(seeded, second.id) is not None
    assert await _outbox_rows(seeded) == 2

    with pytest.raises(RuntimeError):
        await post(_message("three"), fail=True)  # type: ignore[misc]
    with pytest.raises(DuplicateKey):  # the nonce's clash comes, at the latest, with the commit
        await post(_message("again", nonce="n1"))  # type: ignore[misc]
    assert await _outbox_rows(seeded) == 2  # neither left an event
    assert len(sent) == 2

"""IDENTIFY stays a few queries (#15): READY with read states, mention counts and
notification settings runs the same number of SQL statements for a user in 2 servers as in 6
(never one per server or channel), on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from adapters.clock import SystemClock
from adapters.ids import SnowflakeGenerator
from adapters.memory.presence import InMemoryPresence
from adapters.sql.database import Database
from discord_core.model import NotificationLevel
from discord_core.usecases import (
    AuthUseCases,
    ChannelUseCases,
    Deps,
    GatewayUseCases,
    Identity,
    InviteUseCases,
    MessageUseCases,
    ReadStateUseCases,
    ServerUseCases,
)
from tests.unit.fakes import FakeCommonPasswords, FakeHasher, FakeTokenService


def _deps(db: Database) -> Deps:
    clock = SystemClock()
    none: Any = None
    return Deps(
        uow=db.uow_factory,
        ids=SnowflakeGenerator(7),
        clock=clock,
        events=none,
        hasher=FakeHasher(),
        tokens=FakeTokenService(clock),  # type: ignore[arg-type]
        presence=InMemoryPresence(),
        common_passwords=FakeCommonPasswords(),
        storage=none,
        media=none,
        signer=none,
        emoji=none,
    )


async def test_ready_statements_do_not_grow_with_servers(database: Database) -> None:
    deps = _deps(database)
    auth, servers = AuthUseCases(deps), ServerUseCases(deps)
    channels, invites = ChannelUseCases(deps), InviteUseCases(deps)
    messages, reads = MessageUseCases(deps), ReadStateUseCases(deps)
    gateway = GatewayUseCases(deps)

    async def person(name: str) -> Identity:
        issued = await auth.register(name, f"{name}@example.com", "a fine password 1")
        return Identity(issued.user.id, issued.session.id)

    owner, few, many = await person("owner"), await person("few"), await person("many")
    for n in range(6):
        snap = await servers.create(owner, f"s{n}")
        invite = await invites.create(owner, snap.server.id, max_age=0)
        readers = [many, few] if n < 2 else [many]
        for who in readers:
            await invites.accept(who, invite.code)
        for c in range(2):
            channel = await channels.create(owner, snap.server.id, f"c{c}")
            await messages.post(owner, channel.id, f"<@{few.user_id}> <@{many.user_id}> @here")
        first = snap.channels[0].id
        posted = await messages.post(owner, first, "hello")
        for who in readers:
            await reads.ack(who, first, posted.message.message.id)
            await reads.update_notification_settings(
                who, channel_id=first, level=NotificationLevel.MENTIONS
            )
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    engines = {database.write_engine.sync_engine, database.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        counted = {}
        for label, who in (("few", few), ("many", many)):
            statements[0] = 0
            state = await gateway.ready(who)
            counted[label] = statements[0]
            assert state.reads is not None
            assert len(state.reads.read_states) == (2 if label == "few" else 6) * 3
            assert sum(s.mention_count for s in state.reads.read_states) == (
                4 if label == "few" else 12
            )
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert counted["few"] == counted["many"], counted
    assert counted["many"] <= 16, counted  # a few: the same for any number of servers

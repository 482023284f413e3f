"""The gateway hub's topic streams: each committed event reaches each session once and in its
topic's order, whatever the bus does (duplicates, reordering, losses); what the bus lost comes
from the outbox, and only what the outbox no longer has makes sessions resync.

No database here: a fake event log stands for the outbox (SqlEventLog's contract)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from adapters.ids import lowest_snowflake_at
from adapters.wire import Envelope
from discord_core.events import Effect, Topic
from discord_core.usecases import Identity
from entrypoints.gateway.hub import Hub
from entrypoints.gateway.session import GatewaySession

SERVER = "server:10"
OTHER = "server:20"
USER = "user:1"


class FakeLog:
    """The outbox: every committed event by topic, and the topics' heads."""

    def __init__(self) -> None:
        self.events: dict[str, list[Envelope]] = {}
        self.pruned_below: dict[str, int] = {}
        self.reads = 0
        self.fail = False

    def commit(self, topic: str, name: str = "MESSAGE_CREATE", **kw: object) -> Envelope:
        events = self.events.setdefault(topic, [])
        seq = len(events) + 1
        event_id = lowest_snowflake_at(1_800_000_000_000) + seq
        envelope = Envelope(topic, name, f'{{"n":{seq}}}', id=event_id, seq=seq, **kw)  # type: ignore[arg-type]
        events.append(envelope)
        return envelope

    async def heads(self, topics: Sequence[str]) -> dict[str, int]:
        if self.fail:
            raise ConnectionError("database down")
        return {topic: len(self.events.get(topic, [])) for topic in topics}

    async def after(self, topic: str, seq: int, limit: int = 500) -> list[Envelope]:
        self.reads += 1
        if self.fail:
            raise ConnectionError("database down")
        floor = self.pruned_below.get(topic, 0)
        return [e for e in self.events.get(topic, []) if e.seq > seq and e.seq >= floor][:limit]


async def _noop(topic: str) -> None:
    return None


def hub_with(log: FakeLog) -> Hub:
    return Hub(
        resume_window_s=60, on_subscribe=_noop, on_unsubscribe=_noop, log=log, gap_grace_s=0.01
    )


def session(user_id: int = 1, *topics: str) -> GatewaySession:
    return GatewaySession(
        f"gw{user_id}", Identity(user_id, f"auth{user_id}"), {f"user:{user_id}", *topics}
    )


def received(s: GatewaySession) -> list[tuple[str, str]]:
    return [(name, payload) for name, payload in (s._backlog or ())]


def numbers(s: GatewaySession, name: str = "MESSAGE_CREATE") -> list[int]:
    return [int(p.split(":")[1].rstrip("}")) for n, p in received(s) if n == name]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_in_order_duplicates_and_reordering() -> None:
    log = FakeLog()
    hub = hub_with(log)
    s = session(1, SERVER)
    hub.add(s, {SERVER: 0})
    e1, e2, e3 = (log.commit(SERVER) for _ in range(3))
    hub.deliver(e1)
    hub.deliver(e1)  # at-least-once: the copy is dropped
    hub.deliver(e3)  # ahead of e2: it waits
    assert numbers(s) == [1]
    hub.deliver(e2)  # the missing one comes within the grace: no outbox read
    assert numbers(s) == [1, 2, 3]
    await settle()
    assert log.reads == 0 and hub.duplicates == 1


async def test_a_gap_is_filled_from_the_outbox_in_order() -> None:
    log = FakeLog()
    hub = hub_with(log)
    s = session(1, SERVER)
    hub.add(s, {SERVER: 0})
    events = [log.commit(SERVER) for _ in range(5)]
    hub.deliver(events[0])
    hub.deliver(events[4])  # 2, 3, 4 were lost on the bus
    await settle()
    assert numbers(s) == [1, 2, 3, 4, 5]
    assert hub.fetched == 3 and hub.gaps == 1
    hub.deliver(events[2])  # late copies change nothing
    assert numbers(s) == [1, 2, 3, 4, 5]


async def test_the_relay_pass_finds_what_no_later_event_revealed() -> None:
    """The last events of a topic were lost (their publisher died after COMMIT)."""
    log = FakeLog()
    hub = hub_with(log)
    s = session(1, SERVER)
    hub.add(s, {SERVER: 0})
    hub.deliver(log.commit(SERVER))
    log.commit(SERVER)
    log.commit(SERVER)
    await hub.check()
    assert numbers(s) == [1, 2, 3]


async def test_events_gone_from_the_outbox_make_the_topics_sessions_resync() -> None:
    log = FakeLog()
    hub = hub_with(log)
    here, elsewhere = session(1, SERVER), session(2, OTHER)
    hub.add(here, {SERVER: 0})
    hub.add(elsewhere, {OTHER: 0})
    events = [log.commit(SERVER) for _ in range(4)]
    hub.deliver(events[0])
    log.pruned_below[SERVER] = 4  # 2 and 3 are older than the retention
    hub.deliver(events[3])
    await settle()
    names = [name for name, _ in received(here)]
    assert names[-1] == "RESYNC" and here.invalid
    assert not elsewhere.invalid  # only the sessions of that topic
    assert hub.resyncs == 1
    # the stream carries on for sessions that join later
    late = session(3, SERVER)
    hub.add(late, {SERVER: 4})
    hub.deliver(log.commit(SERVER))
    assert numbers(late) == [5]


async def test_a_session_joining_ahead_of_the_stream_skips_what_its_ready_showed() -> None:
    log = FakeLog()
    hub = hub_with(log)
    first = session(1, SERVER)
    hub.add(first, {SERVER: 0})
    e1, e2, e3 = (log.commit(SERVER) for _ in range(3))
    second = session(2, SERVER)
    hub.add(second, {SERVER: 2})  # its READY already reflects events 1 and 2
    for e in (e1, e2, e3):
        hub.deliver(e)
    assert numbers(first) == [1, 2, 3]
    assert numbers(second) == [3]


async def test_a_session_joining_behind_the_stream_gets_what_it_missed() -> None:
    log = FakeLog()
    hub = hub_with(log)
    first = session(1, SERVER)
    hub.add(first, {SERVER: 0})
    for _ in range(3):
        hub.deliver(log.commit(SERVER))
    late = session(2, SERVER)
    hub.add(late, {SERVER: 1})  # its READY was read after event 1
    assert numbers(late) == [2, 3]


def _join_scenario(log: FakeLog) -> tuple[Envelope, Envelope, Envelope]:
    before = log.commit(OTHER)  # in the snapshot SERVER_CREATE carries
    joined = log.commit(
        USER, "SERVER_CREATE", effect=Effect(user_id=1, join=Topic.parse(OTHER)), join_seq=1
    )
    member_add = log.commit(OTHER, "MEMBER_ADD")  # the join's own, after its position
    return before, joined, member_add


async def test_server_create_joins_the_server_topic_at_its_position() -> None:
    log = FakeLog()
    hub = hub_with(log)
    watcher = session(5, OTHER)  # this instance already streams the server's topic
    hub.add(watcher, {OTHER: 0})
    joiner = session(1)
    hub.add(joiner, {USER: 0})
    before, joined, member_add = _join_scenario(log)
    for envelope in (before, joined, member_add):
        hub.deliver(envelope)
    assert [n for n, _ in received(joiner)] == ["SERVER_CREATE", "MEMBER_ADD"]
    assert OTHER in joiner.topics


async def test_server_create_arriving_after_the_servers_events_replays_them() -> None:
    log = FakeLog()
    hub = hub_with(log)
    watcher = session(5, OTHER)
    hub.add(watcher, {OTHER: 0})
    joiner = session(1)
    hub.add(joiner, {USER: 0})
    before, joined, member_add = _join_scenario(log)
    for envelope in (before, member_add, joined):  # another instance published faster
        hub.deliver(envelope)
    assert [n for n, _ in received(joiner)] == ["SERVER_CREATE", "MEMBER_ADD"]


async def test_revocations_on_the_all_topic_close_only_their_sessions() -> None:
    log = FakeLog()
    hub = hub_with(log)
    await hub.start()
    seen: list[str] = []
    hub.attach(lambda e: seen.append(e.name))
    mine, other = session(1), session(2)
    hub.add(mine, {})
    hub.add(other, {})
    revoked = log.commit(
        "all:0",
        "SESSIONS_REVOKED",
        effect=Effect(user_id=1, close_sessions=("auth1",)),
        dispatched=False,
    )
    hub.deliver(revoked)
    hub.deliver(revoked)
    assert seen == ["SESSIONS_REVOKED"]
    assert hub.get("gw1") is None and hub.get("gw2") is not None


async def test_a_database_outage_waits_and_the_next_pass_repairs() -> None:
    log = FakeLog()
    hub = hub_with(log)
    s = session(1, SERVER)
    hub.add(s, {SERVER: 0})
    events = [log.commit(SERVER) for _ in range(3)]
    log.fail = True
    hub.deliver(events[2])
    await settle()
    await hub.check()  # fails quietly
    assert numbers(s) == [] and not s.invalid
    log.fail = False
    await hub.check()
    assert numbers(s) == [1, 2, 3]


async def test_unsequenced_events_pass_straight_through() -> None:
    hub = hub_with(FakeLog())
    s = session(1, SERVER)
    hub.add(s, {SERVER: 0})
    typing = Envelope(SERVER, "TYPING_START", "{}")
    hub.deliver(typing)
    hub.deliver(typing)
    assert [n for n, _ in received(s)] == ["TYPING_START", "TYPING_START"]


async def test_detached_sessions_expire_after_their_window_unless_resumed() -> None:
    log = FakeLog()
    hub = Hub(resume_window_s=0.05, on_subscribe=_noop, on_unsubscribe=_noop, log=log)
    first, resumed, late = session(1), session(2), session(3)
    for s in (first, resumed, late):
        hub.add(s)
    hub.detach(first)
    hub.detach(resumed)
    await asyncio.sleep(0.03)
    hub.detach(late)
    resumed.link = object()  # type: ignore[assignment]  # a RESUME attached it again
    resumed.detached_at = None
    await asyncio.sleep(0.03)
    hub.expire_detached()  # first's window is over, late's is not
    assert hub.get(first.id) is None
    assert hub.get(resumed.id) is resumed and hub.get(late.id) is late
    await asyncio.sleep(0.05)
    hub.expire_detached()
    assert hub.get(late.id) is None and hub.get(resumed.id) is resumed

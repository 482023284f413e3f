"""The fakes keep the ports' contracts; every other unit test relies on that."""

from __future__ import annotations

from datetime import timedelta

import pytest

from discord_core.errors import DuplicateKey, Unauthorized
from discord_core.model import (
    AuthSession,
    Channel,
    Invite,
    Member,
    Message,
    Role,
    Server,
    User,
    UserStatus,
)

from .conftest import make_deps
from .fakes import (
    FakeClock,
    FakeDatabase,
    FakeHasher,
    FakePresence,
    FakeTokenService,
    FakeUnitOfWorkFactory,
    ForeignKeyViolation,
    RecordingPublisher,
)

NOW = FakeClock().now()


def user(uid: int, name: str | None = None) -> User:
    name = name or f"user{uid}"
    return User(uid, name, f"{name}@x.io", "h", UserStatus.ONLINE, NOW, NOW)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(db)


async def test_changes_are_invisible_until_commit(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1))
        assert await tx.users.get(1) is not None  # the transaction sees its own writes
        async with uow(read_only=True) as other:
            assert await other.users.get(1) is None
        await tx.commit()
    async with uow(read_only=True) as other:
        assert (await other.users.get(1)) == user(1)


async def test_leaving_without_commit_discards(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1))

    async def fail_inside() -> None:
        async with uow() as tx:
            await tx.users.add(user(2))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await fail_inside()
    async with uow() as tx:
        await tx.users.add(user(3))
        await tx.rollback()
        assert await tx.users.get(3) is None
        await tx.commit()
    async with uow(read_only=True) as tx:
        assert [await tx.users.get(i) for i in (1, 2, 3)] == [None, None, None]


async def test_read_only_flag_is_recorded_and_enforced(uow: FakeUnitOfWorkFactory) -> None:
    async with uow(read_only=True) as tx:
        with pytest.raises(AssertionError, match="read-only"):
            await tx.users.add(user(1))
    async with uow():
        pass
    assert uow.read_only_flags == [True, False]


async def test_returned_rows_are_copies(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1))
        got = await tx.users.get(1)
        assert got is not None
        got.username = "changed"
        assert (await tx.users.get(1)) == user(1)
        await tx.commit()


async def test_unique_constraints(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1, "ann"))
        with pytest.raises(DuplicateKey) as info:
            await tx.users.add(user(2, "ann"))
        assert info.value.constraint == "username"
        clash = user(3, "bob")
        clash.email = "ann@x.io"
        with pytest.raises(DuplicateKey) as info:
            await tx.users.add(clash)
        assert info.value.constraint == "email"
        await tx.users.add(user(4, "cid"))
        renamed = user(4, "ann")
        with pytest.raises(DuplicateKey) as info:
            await tx.users.update(renamed)
        assert info.value.constraint == "username"
        await tx.servers.add(Server(10, "s", "", 1, NOW))
        await tx.members.add(Member(10, 1, Role.OWNER, NOW))
        with pytest.raises(DuplicateKey) as info:
            await tx.members.add(Member(10, 1, Role.MEMBER, NOW))
        assert info.value.constraint == "member"
        await tx.invites.add(Invite("c", 10, 1, NOW, None, 0))
        with pytest.raises(DuplicateKey) as info:
            await tx.invites.add(Invite("c", 10, 1, NOW, None, 0))
        assert info.value.constraint == "invite_code"
        await tx.channels.add(Channel(20, 10, "general", "", 0, NOW))
        await tx.messages.add(Message(30, 20, 10, 1, "hi", NOW, nonce="n"))
        with pytest.raises(DuplicateKey) as info:
            await tx.messages.add(Message(31, 20, 10, 1, "hi", NOW, nonce="n"))
        assert info.value.constraint == "nonce"
        await tx.messages.add(Message(32, 20, 10, 4, "hi", NOW, nonce="n"))  # another author
        await tx.messages.add(Message(33, 20, 10, 1, "hi", NOW))  # no nonce: no constraint
        await tx.messages.add(Message(34, 20, 10, 1, "hi", NOW))


async def test_unique_index_sees_concurrent_commits(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as slow:
        assert await slow.users.get_by_username("ann") is None
        async with uow() as fast:
            await fast.users.add(user(1, "ann"))
            await fast.commit()
        with pytest.raises(DuplicateKey) as info:
            await slow.users.add(user(2, "ann"))
        assert info.value.constraint == "username"


async def test_commit_applies_writes_on_top_of_concurrent_commits(
    uow: FakeUnitOfWorkFactory,
) -> None:
    async with uow() as a:
        await a.users.add(user(1))
        async with uow() as b:
            await b.users.add(user(2))
            await b.commit()
        await a.commit()
    async with uow(read_only=True) as tx:
        assert await tx.users.get(1) is not None
        assert await tx.users.get(2) is not None


async def test_server_delete_cascades(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1))
        for sid in (10, 11):
            await tx.servers.add(Server(sid, "s", "", 1, NOW))
            await tx.members.add(Member(sid, 1, Role.OWNER, NOW))
            await tx.channels.add(Channel(sid + 10, sid, "c", "", 0, NOW))
            await tx.messages.add(Message(sid + 20, sid + 10, sid, 1, "m", NOW))
            await tx.invites.add(Invite(f"code{sid}", sid, 1, NOW, None, 0))
        await tx.commit()
    async with uow() as tx:
        await tx.servers.delete(10)
        await tx.commit()
    async with uow(read_only=True) as tx:
        assert await tx.servers.get(10) is None
        assert await tx.members.get(10, 1) is None
        assert await tx.channels.get(20) is None
        assert await tx.messages.get(30) is None
        assert await tx.invites.get("code10") is None
        assert await tx.members.count_for_user(1) == 1
        assert await tx.messages.get(31) is not None
        assert await tx.invites.get("code11") is not None


async def test_channel_delete_cascades_to_messages(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(user(1))
        await tx.servers.add(Server(10, "s", "", 1, NOW))
        await tx.channels.add(Channel(20, 10, "a", "", 0, NOW))
        await tx.channels.add(Channel(21, 10, "b", "", 1, NOW))
        await tx.messages.add(Message(30, 20, 10, 1, "m", NOW))
        await tx.messages.add(Message(31, 21, 10, 1, "m", NOW))
        await tx.channels.delete(20)
        assert await tx.messages.get(30) is None
        assert await tx.messages.get(31) is not None


async def test_keyset_pages_and_orderings(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        for uid in (5, 3, 9, 7):
            await tx.users.add(user(uid))
        await tx.servers.add(Server(10, "s", "", 5, NOW))
        for uid in (5, 3, 9, 7):
            await tx.members.add(Member(10, uid, Role.MEMBER, NOW))
        await tx.channels.add(Channel(20, 10, "c", "", 0, NOW))
        for mid in (104, 101, 103, 102, 105):
            await tx.messages.add(Message(mid, 20, 10, 5, f"m{mid}", NOW))
        page = await tx.members.list_page(10, after_user_id=3, limit=2)
        assert [v.member.user_id for v in page] == [5, 7]
        before = await tx.messages.list_before(20, 104, 2)
        assert [v.message.id for v in before] == [103, 102]
        assert [v.message.id for v in await tx.messages.list_before(20, None, 9)] == [
            105,
            104,
            103,
            102,
            101,
        ]
        after = await tx.messages.list_after(20, 101, 2)
        assert [v.message.id for v in after] == [102, 103]
        assert await tx.messages.list_after(20, 105, 5) == []
        with pytest.raises(OverflowError):
            await tx.messages.list_before(20, 2**63, 5)


async def test_refuses_what_postgresql_refuses(uow: FakeUnitOfWorkFactory) -> None:
    async with uow() as tx:
        with pytest.raises(ValueError, match="0x00"):
            await tx.users.add(user(1, "a\x00b"))
        with pytest.raises(UnicodeEncodeError):
            await tx.users.get_by_username("\ud800")
        with pytest.raises(ForeignKeyViolation):
            await tx.servers.add(Server(10, "s", "", 99, NOW))


async def test_fault_injection_is_one_shot(db: FakeDatabase, uow: FakeUnitOfWorkFactory) -> None:
    db.inject("users.get", RuntimeError("boom"))
    async with uow(read_only=True) as tx:
        with pytest.raises(RuntimeError, match="boom"):
            await tx.users.get(1)
        assert await tx.users.get(1) is None
    assert db.pending_hooks() == []


async def test_publisher_refuses_events_before_commit(db: FakeDatabase) -> None:
    uow, publisher = FakeUnitOfWorkFactory(db), RecordingPublisher(db)
    async with uow() as tx:
        await tx.users.add(user(1))
        with pytest.raises(AssertionError, match="uncommitted"):
            await publisher.publish([])
        await tx.commit()
        await publisher.publish([])
    assert publisher.batches == [[]]


async def test_sessions_revoke_all_returns_active_ones_in_order(
    uow: FakeUnitOfWorkFactory,
) -> None:
    later = NOW + timedelta(days=1)
    async with uow() as tx:
        await tx.users.add(user(1))
        await tx.sessions.add(AuthSession("b", 1, NOW, later))
        await tx.sessions.add(AuthSession("a", 1, NOW, later))
        await tx.sessions.add(AuthSession("gone", 1, NOW, NOW))  # already expired
        await tx.sessions.add(AuthSession("keep", 1, NOW, later))
        assert await tx.sessions.revoke_all(1, NOW, keep="keep") == ["a", "b"]
        assert await tx.sessions.revoke_all(1, NOW, keep="keep") == []
        kept = await tx.sessions.get("keep")
        assert kept is not None and kept.revoked_at is None


async def test_hasher_token_service_and_presence() -> None:
    hasher = FakeHasher()
    stored = await hasher.hash("pw")
    assert await hasher.verify(stored, "pw")
    assert not await hasher.verify(stored, "pW")
    assert not await hasher.verify(None, "pw")
    assert not hasher.needs_rehash(stored)
    hasher.scheme = "v2"
    assert hasher.needs_rehash(stored)
    assert await hasher.verify(stored, "pw")

    clock = FakeClock()
    tokens = FakeTokenService(clock)
    token = tokens.issue(AuthSession("s1", 7, NOW, NOW + timedelta(seconds=10)))
    assert tokens.decode(token).user_id == 7
    assert tokens.decode(token).session_id == "s1"
    for garbage in ("", "tok", "tok:x:s1:1", "nope:7:s1:1", token + ":x"):
        with pytest.raises(Unauthorized) as info:
            tokens.decode(garbage)
        assert info.value.code == "invalid_token"
    clock.advance(seconds=10)
    with pytest.raises(Unauthorized):
        tokens.decode(token)

    presence = FakePresence()
    assert await presence.connect(1, "a") is True
    assert await presence.connect(1, "b") is False
    assert await presence.online([1, 2]) == {1}
    assert await presence.disconnect(1, "a") is False
    assert await presence.disconnect(1, "b") is True
    assert await presence.online([1]) == set()


def test_make_deps_wires_one_set_of_fakes() -> None:
    deps, fakes = make_deps()
    assert deps.uow is fakes.uow and deps.events is fakes.events
    assert deps.ids.next_id() < deps.ids.next_id()
    assert deps.new_invite_code() != deps.new_invite_code()

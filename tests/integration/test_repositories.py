"""The repository contract of discord_core.ports, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sql.database import Database
from discord_core.errors import DuplicateKey
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
from discord_core.ports import UnitOfWork

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def new_id() -> Callable[[], int]:
    counter = itertools.count(1_000_000)
    return lambda: next(counter)


class World:
    """Builds rows through the unit of work, one committed transaction per call."""

    def __init__(self, db: Database, new_id: Callable[[], int]) -> None:
        self.db = db
        self.new_id = new_id

    async def user(self, name: str, *, status: UserStatus = UserStatus.ONLINE) -> User:
        user = User(self.new_id(), name, f"{name}@example.com", "hash", status, at(0), at(0))
        async with self.db.uow_factory() as uow:
            await uow.users.add(user)
            await uow.commit()
        return user

    async def server(self, owner: User, *, name: str = "srv", joined: float = 0) -> Server:
        server = Server(self.new_id(), name, "", owner.id, at(joined))
        async with self.db.uow_factory() as uow:
            await uow.servers.add(server)
            await uow.members.add(Member(server.id, owner.id, Role.OWNER, at(joined)))
            await uow.commit()
        return server

    async def join(
        self, server: Server, user: User, *, role: Role = Role.MEMBER, at_s: float = 1
    ) -> Member:
        member = Member(server.id, user.id, role, at(at_s))
        async with self.db.uow_factory() as uow:
            await uow.members.add(member)
            await uow.commit()
        return member

    async def channel(self, server: Server, *, name: str = "general", position: int = 0) -> Channel:
        channel = Channel(self.new_id(), server.id, name, "", position, at(0))
        async with self.db.uow_factory() as uow:
            await uow.channels.add(channel)
            await uow.commit()
        return channel

    async def messages(
        self, channel: Channel, author: User, count: int, *, nonce: str | None = None
    ) -> list[Message]:
        made = [
            Message(
                self.new_id(),
                channel.id,
                channel.server_id,
                author.id,
                f"message {i}",
                at(i),
                nonce=nonce if i == 0 else None,
            )
            for i in range(count)
        ]
        async with self.db.uow_factory() as uow:
            for message in made:
                await uow.messages.add(message)
            await uow.commit()
        return made

    async def invite(
        self,
        server: Server,
        inviter: User,
        *,
        code: str = "abc",
        max_uses: int = 0,
        expires_at: datetime | None = None,
        uses: int = 0,
    ) -> Invite:
        invite = Invite(code, server.id, inviter.id, at(0), expires_at, max_uses, uses)
        async with self.db.uow_factory() as uow:
            await uow.invites.add(invite)
            await uow.commit()
        return invite


@pytest.fixture
def world(database: Database, new_id: Callable[[], int]) -> World:
    return World(database, new_id)


async def expect_duplicate(db: Database, constraint: str, write: Callable[..., object]) -> None:
    """`write(uow)` raises DuplicateKey(constraint); leaving the uow rolls back cleanly."""
    async with db.uow_factory() as uow:
        with pytest.raises(DuplicateKey) as caught:
            await write(uow)  # type: ignore[misc]
    assert caught.value.constraint == constraint
    async with db.uow_factory(read_only=True) as uow:  # the database is still usable
        assert await uow.users.get(-1) is None


# --- users ---------------------------------------------------------------------------------


async def test_users_add_get_update(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.users.get(ann.id) == ann
        assert await uow.users.get_by_username("ann") == ann
        assert await uow.users.get_by_email("ann@example.com") == ann
        assert await uow.users.get(ann.id + 1) is None
        assert await uow.users.get_by_username("nobody") is None
        assert await uow.users.get_by_email("nobody@example.com") is None
    got = await _get_user(db, ann.id)
    assert got.created_at.tzinfo is not None
    assert got.created_at == at(0)

    ann.username, ann.email, ann.status = "anna", "anna@example.com", UserStatus.DND
    ann.password_hash, ann.updated_at = "new-hash", at(5)
    async with db.uow_factory() as uow:
        await uow.users.update(ann)
        await uow.commit()
    assert await _get_user(db, ann.id) == ann


async def _get_user(db: Database, user_id: int) -> User:
    async with db.uow_factory(read_only=True) as uow:
        user = await uow.users.get(user_id)
    assert user is not None
    return user


async def test_users_duplicate_username_and_email(world: World, new_id: Callable[[], int]) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob")

    def clash(username: str, email: str) -> User:
        return User(new_id(), username, email, "h", UserStatus.ONLINE, at(0), at(0))

    await expect_duplicate(
        world.db, "username", lambda uow: uow.users.add(clash("ann", "other@example.com"))
    )
    await expect_duplicate(
        world.db, "email", lambda uow: uow.users.add(clash("other", "ann@example.com"))
    )
    bob.username = "ann"
    await expect_duplicate(world.db, "username", lambda uow: uow.users.update(bob))
    bob.username, bob.email = "bob", "ann@example.com"
    await expect_duplicate(world.db, "email", lambda uow: uow.users.update(bob))
    assert (await _get_user(world.db, bob.id)).email == "bob@example.com"
    assert (await _get_user(world.db, ann.id)).username == "ann"


async def test_duplicate_key_rolls_back_the_whole_unit_of_work(
    world: World, new_id: Callable[[], int]
) -> None:
    await world.user("ann")
    early = User(new_id(), "early", "early@example.com", "h", UserStatus.ONLINE, at(0), at(0))
    clash = User(new_id(), "ann", "x@example.com", "h", UserStatus.ONLINE, at(0), at(0))
    async with world.db.uow_factory() as uow:
        await uow.users.add(early)
        with pytest.raises(DuplicateKey):
            await uow.users.add(clash)
    async with world.db.uow_factory(read_only=True) as uow:
        assert await uow.users.get(early.id) is None
    # and a new unit of work writes normally
    await world.user("later")


# --- auth sessions -----------------------------------------------------------------------------


async def test_sessions(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    bob = await world.user("bob")
    sessions = [
        AuthSession("s-current", ann.id, at(0), at(1000)),
        AuthSession("s-other", ann.id, at(0), at(1000)),
        AuthSession("s-expired", ann.id, at(0), at(50)),
        AuthSession("s-revoked", ann.id, at(0), at(1000), revoked_at=at(10)),
        AuthSession("s-bob", bob.id, at(0), at(1000)),
    ]
    async with db.uow_factory() as uow:
        for session in sessions:
            await uow.sessions.add(session)
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.sessions.get("s-revoked") == sessions[3]
        assert await uow.sessions.get("nope") is None

    async with db.uow_factory() as uow:
        await uow.sessions.extend("s-current", at(2000))
        await uow.sessions.revoke("s-revoked", at(99))  # already revoked: keeps the first time
        revoked = await uow.sessions.revoke_all(ann.id, at(100), keep="s-current")
        await uow.commit()
    assert revoked == ["s-other"]
    async with db.uow_factory(read_only=True) as uow:
        current = await uow.sessions.get("s-current")
        other = await uow.sessions.get("s-other")
        old = await uow.sessions.get("s-revoked")
        bobs = await uow.sessions.get("s-bob")
    assert current is not None
    assert current.expires_at == at(2000)
    assert current.revoked_at is None
    assert other is not None
    assert other.revoked_at == at(100)
    assert old is not None
    assert old.revoked_at == at(10)
    assert bobs is not None
    assert bobs.revoked_at is None

    async with db.uow_factory() as uow:
        await uow.sessions.revoke("s-current", at(200))
        assert await uow.sessions.revoke_all(ann.id, at(300)) == []
        assert await uow.sessions.revoke_all(bob.id, at(300)) == ["s-bob"]
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        current = await uow.sessions.get("s-current")
    assert current is not None
    assert current.revoked_at == at(200)


# --- servers -----------------------------------------------------------------------------------


async def test_servers_add_get_update(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob")
    server = await world.server(ann, name="home")
    async with world.db.uow_factory(read_only=True) as uow:
        assert await uow.servers.get(server.id) == server
        assert await uow.servers.get(server.id + 1) is None
    server.name, server.description, server.owner_id = "renamed", "about", bob.id
    async with world.db.uow_factory() as uow:
        await uow.servers.update(server)
        await uow.commit()
    async with world.db.uow_factory(read_only=True) as uow:
        assert await uow.servers.get(server.id) == server


async def test_servers_list_for_user_ordered_by_joined_then_id(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob")
    late = await world.server(bob, name="late", joined=0)
    tie_b = await world.server(bob, name="tie-b", joined=0)
    tie_a = await world.server(bob, name="tie-a", joined=0)
    early = await world.server(bob, name="early", joined=0)
    await world.join(late, ann, at_s=30)
    await world.join(tie_a, ann, at_s=20, role=Role.ADMIN)
    await world.join(tie_b, ann, at_s=20)
    await world.join(early, ann, at_s=10)
    async with world.db.uow_factory(read_only=True) as uow:
        pairs = await uow.servers.list_for_user(ann.id)
        assert await uow.servers.list_for_user(ann.id + 12345) == []
    ties = sorted([tie_a, tie_b], key=lambda s: s.id)
    assert [s for s, _ in pairs] == [early, *ties, late]
    assert [m.user_id for _, m in pairs] == [ann.id] * 4
    assert [m.server_id for _, m in pairs] == [s.id for s, _ in pairs]
    roles = {s.id: m.role for s, m in pairs}
    assert roles[tie_a.id] == Role.ADMIN
    assert roles[tie_b.id] == Role.MEMBER
    assert pairs[0][1] == Member(early.id, ann.id, Role.MEMBER, at(10))


async def test_servers_with_counts_are_the_list_and_the_counts_in_one_read(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob")
    cat = await world.user("cat")
    big = await world.server(bob, name="big")
    small = await world.server(ann, name="small", joined=5)
    await world.join(big, ann, at_s=10)
    await world.join(big, cat, at_s=11)
    async with world.db.uow_factory() as uow:
        await uow.members.set_timeout(big.id, ann.id, at(3600))
        await uow.commit()
    async with world.db.uow_factory(read_only=True) as uow:
        counted = await uow.servers.list_for_user_with_counts(ann.id)
        pairs = await uow.servers.list_for_user(ann.id)
        counts = await uow.members.counts([big.id, small.id])
        assert await uow.servers.list_for_user_with_counts(ann.id + 12345) == []
    assert [(s, m) for s, m, _ in counted] == pairs
    assert {s.id: n for s, _, n in counted} == counts == {big.id: 3, small.id: 1}
    timed_out = next(m for s, m, _ in counted if s.id == big.id)
    assert timed_out.communication_disabled_until == at(3600)
    assert next(s for s, _, _ in counted if s.id == small.id).created_at == at(5)


async def test_channels_of_a_members_servers(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob")
    theirs = await world.server(bob, name="theirs")
    mine = await world.server(ann, name="mine")
    await world.join(theirs, ann, at_s=1)
    for server in (theirs, mine):
        await world.channel(server, name="b", position=1)
        await world.channel(server, name="a", position=0)
    await world.channel(await world.server(bob, name="other"))
    async with world.db.uow_factory(read_only=True) as uow:
        found = await uow.channels.list_for_member(ann.id)
        expected = await uow.channels.list_for_servers([theirs.id, mine.id])
    assert found == expected and len(found) == 4
    assert found[0].created_at == expected[0].created_at


async def test_topics_listened_by_a_user_with_their_positions(world: World) -> None:
    from discord_core.events import Topic

    ann = await world.user("ann")
    mine = await world.server(ann, name="mine")
    async with world.db.uow_factory(read_only=True) as uow:
        listened = await uow.topics.listened_by(ann.id)
        nobody = await uow.topics.listened_by(ann.id + 12345)
    assert listened == {Topic.user(ann.id): 0, Topic.server(mine.id): 0}
    assert nobody == {Topic.user(ann.id + 12345): 0}


async def test_server_delete_cascades(world: World, new_id: Callable[[], int]) -> None:
    db = world.db
    ann = await world.user("ann")
    bob = await world.user("bob")
    doomed = await world.server(ann, name="doomed")
    kept = await world.server(ann, name="kept")
    await world.join(doomed, bob)
    doomed_channel = await world.channel(doomed)
    kept_channel = await world.channel(kept)
    doomed_messages = await world.messages(doomed_channel, bob, 3)
    kept_messages = await world.messages(kept_channel, ann, 2)
    await world.invite(doomed, ann, code="doomed")
    await world.invite(kept, ann, code="kept")

    async with db.uow_factory() as uow:
        await uow.servers.delete(doomed.id)
        await uow.servers.delete(new_id())  # deleting what is not there is a no-op
        await uow.commit()

    async with db.uow_factory(read_only=True) as uow:
        assert await uow.servers.get(doomed.id) is None
        assert await uow.members.get(doomed.id, bob.id) is None
        assert await uow.members.count(doomed.id) == 0
        assert await uow.channels.get(doomed_channel.id) is None
        assert await uow.channels.list_for_server(doomed.id) == []
        for message in doomed_messages:
            assert await uow.messages.get(message.id) is None
        assert await uow.invites.get("doomed") is None
        # the rest is untouched
        assert await uow.users.get(bob.id) is not None
        assert await uow.servers.get(kept.id) == kept
        kept_channel.last_message_id = kept_messages[-1].id
        assert await uow.channels.get(kept_channel.id) == kept_channel
        assert len(await uow.messages.list_before(kept_channel.id, None, 10)) == len(kept_messages)
        assert await uow.invites.get("kept") is not None
        assert [s.id for s, _ in await uow.servers.list_for_user(ann.id)] == [kept.id]


# --- members -----------------------------------------------------------------------------------


async def test_members_crud_and_views(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    bob = await world.user("bob", status=UserStatus.AWAY)
    server = await world.server(ann)
    member = await world.join(server, bob, at_s=7)
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.members.get(server.id, bob.id) == member
        assert await uow.members.get(server.id, bob.id + 999) is None
        view = await uow.members.get_view(server.id, bob.id)
        assert await uow.members.get_view(server.id + 1, bob.id) is None
    assert view is not None
    assert view.member == member
    assert view.username == "bob"
    assert view.status == UserStatus.AWAY

    async with db.uow_factory() as uow:
        await uow.members.set_role(server.id, bob.id, Role.MODERATOR)
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        moved = await uow.members.get(server.id, bob.id)
    assert moved is not None
    assert moved.role == Role.MODERATOR

    await expect_duplicate(db, "member", lambda uow: uow.members.add(member))

    async with db.uow_factory() as uow:
        await uow.members.remove(server.id, bob.id)
        await uow.members.remove(server.id, bob.id)  # idempotent
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.members.get(server.id, bob.id) is None
        assert await uow.members.count(server.id) == 1


async def test_members_list_page_and_counts(world: World) -> None:
    db = world.db
    owner = await world.user("owner")
    server = await world.server(owner)
    other = await world.server(owner, name="other")
    users = [await world.user(f"user{i:02d}") for i in range(12)]
    for i, user in enumerate(users):
        await world.join(server, user, at_s=i)
    await world.join(other, users[0])
    everyone = sorted([owner, *users], key=lambda u: u.id)

    async with db.uow_factory(read_only=True) as uow:
        first = await uow.members.list_page(server.id, after_user_id=0, limit=5)
        second = await uow.members.list_page(
            server.id, after_user_id=first[-1].member.user_id, limit=5
        )
        rest = await uow.members.list_page(
            server.id, after_user_id=second[-1].member.user_id, limit=5
        )
        none = await uow.members.list_page(server.id, after_user_id=everyone[-1].id, limit=5)
        assert await uow.members.count(server.id) == 13
        assert await uow.members.count(other.id) == 2
        missing = other.id + 99999
        assert await uow.members.counts([other.id, server.id, missing]) == {
            other.id: 2,
            server.id: 13,
            missing: 0,
        }
        assert await uow.members.counts([]) == {}
        assert await uow.members.count_for_user(users[0].id) == 2
        assert await uow.members.count_for_user(users[1].id) == 1
        assert await uow.members.count_for_user(owner.id + 99999) == 0
        assert await uow.members.server_ids_for_user(users[0].id) == sorted([server.id, other.id])
        assert await uow.members.server_ids_for_user(owner.id + 99999) == []
    assert [len(first), len(second), len(rest), len(none)] == [5, 5, 3, 0]
    listed = [v.member.user_id for v in [*first, *second, *rest]]
    assert listed == [u.id for u in everyone]
    assert all(v.member.server_id == server.id for v in [*first, *second, *rest])
    names = {v.member.user_id: v.username for v in first}
    assert all(names[u.id] == u.username for u in everyone if u.id in names)


async def test_co_members_are_distinct_users(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob", status=UserStatus.DND)
    cat = await world.user("cat")
    dan = await world.user("dan")  # shares nothing with ann
    loner = await world.user("loner")
    one = await world.server(ann, name="one")
    two = await world.server(ann, name="two")
    elsewhere = await world.server(dan, name="elsewhere")
    await world.join(one, bob)
    await world.join(two, bob)  # bob shares two servers with ann: still one view
    await world.join(two, cat, role=Role.ADMIN)
    await world.join(elsewhere, cat)
    async with world.db.uow_factory(read_only=True) as uow:
        views = await uow.members.co_members(ann.id)
        cats = await uow.members.co_members(cat.id)
        alone = await uow.members.co_members(loner.id)
    ids = [v.member.user_id for v in views]
    assert sorted(ids) == sorted([ann.id, bob.id, cat.id])
    assert len(ids) == len(set(ids))
    by_user = {v.member.user_id: v for v in views}
    assert by_user[bob.id].username == "bob"
    assert by_user[bob.id].status == UserStatus.DND
    assert by_user[bob.id].member.server_id in (one.id, two.id)
    assert by_user[cat.id].member == Member(two.id, cat.id, Role.ADMIN, at(1))
    assert sorted(v.member.user_id for v in cats) == sorted([ann.id, bob.id, cat.id, dan.id])
    assert alone == []


async def test_co_members_within_some_servers(world: World) -> None:
    """READY asks only for the members of the user's small servers (large ones are lazy)."""
    ann = await world.user("ann")
    bob = await world.user("bob")
    cat = await world.user("cat")
    dan = await world.user("dan")
    one = await world.server(ann, name="one")
    two = await world.server(ann, name="two")
    elsewhere = await world.server(dan, name="elsewhere")
    await world.join(one, bob)
    await world.join(two, cat)
    async with world.db.uow_factory(read_only=True) as uow:
        only_one = await uow.members.co_members(ann.id, [one.id])
        only_two = await uow.members.co_members(ann.id, [two.id, elsewhere.id])
        none = await uow.members.co_members(ann.id, [])
    assert sorted(v.member.user_id for v in only_one) == sorted([ann.id, bob.id])
    # a server the user is not in adds nobody
    assert sorted(v.member.user_id for v in only_two) == sorted([ann.id, cat.id])
    assert none == []


# --- channels ----------------------------------------------------------------------------------


async def test_channels_crud_and_order(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    server = await world.server(ann)
    other = await world.server(ann, name="other")
    c2 = await world.channel(server, name="c2", position=2)
    c0b = await world.channel(server, name="c0b", position=0)
    c0a = await world.channel(server, name="c0a", position=0)
    c1 = await world.channel(server, name="c1", position=1)
    o0 = await world.channel(other, name="o0", position=0)
    first_two = sorted([c0a, c0b], key=lambda c: c.id)
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.channels.get(c1.id) == c1
        assert await uow.channels.get(c1.id + 1000) is None
        assert await uow.channels.list_for_server(server.id) == [*first_two, c1, c2]
        assert await uow.channels.count_for_server(server.id) == 4
        assert await uow.channels.count_for_server(other.id) == 1
        both = await uow.channels.list_for_servers([other.id, server.id])
        assert await uow.channels.list_for_servers([]) == []
    by_server = sorted([server.id, other.id])
    expected = {server.id: [*first_two, c1, c2], other.id: [o0]}
    assert both == [c for sid in by_server for c in expected[sid]]

    c2.name, c2.topic, c2.position = "renamed", "about", -1
    async with db.uow_factory() as uow:
        await uow.channels.update(c2)
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.channels.get(c2.id) == c2
        assert (await uow.channels.list_for_server(server.id))[0] == c2


async def test_channel_delete_cascades_messages(world: World) -> None:
    ann = await world.user("ann")
    server = await world.server(ann)
    doomed = await world.channel(server, name="doomed")
    kept = await world.channel(server, name="kept")
    gone = await world.messages(doomed, ann, 3)
    stay = await world.messages(kept, ann, 2)
    async with world.db.uow_factory() as uow:
        await uow.channels.delete(doomed.id)
        await uow.commit()
    async with world.db.uow_factory(read_only=True) as uow:
        assert await uow.channels.get(doomed.id) is None
        assert all([await uow.messages.get(m.id) is None for m in gone])
        assert all([await uow.messages.get(m.id) is not None for m in stay])
        assert await uow.servers.get(server.id) == server


async def test_get_with_member(world: World) -> None:
    ann = await world.user("ann")
    bob = await world.user("bob", status=UserStatus.AWAY)
    outsider = await world.user("outsider")
    server = await world.server(ann)
    member = await world.join(server, bob, role=Role.MODERATOR, at_s=3)
    channel = await world.channel(server)
    async with world.db.uow_factory(read_only=True) as uow:
        as_member = await uow.channels.get_with_member(channel.id, bob.id)
        as_outsider = await uow.channels.get_with_member(channel.id, outsider.id)
        missing = await uow.channels.get_with_member(channel.id + 1000, bob.id)
    assert as_member is not None
    assert as_member[0] == channel
    view = as_member[1]
    assert view is not None
    assert view.member == member
    assert view.username == "bob"
    assert view.status == UserStatus.AWAY
    assert as_outsider == (channel, None)
    assert missing is None


# --- messages ----------------------------------------------------------------------------------


async def test_messages_crud_and_nonce(world: World, new_id: Callable[[], int]) -> None:
    db = world.db
    ann = await world.user("ann")
    bob = await world.user("bob")
    server = await world.server(ann)
    channel = await world.channel(server)
    (first,) = await world.messages(channel, ann, 1, nonce="n-1")
    async with db.uow_factory(read_only=True) as uow:
        view = await uow.messages.get(first.id)
        by_nonce = await uow.messages.get_by_nonce(ann.id, "n-1")
        assert await uow.messages.get_by_nonce(bob.id, "n-1") is None
        assert await uow.messages.get(first.id + 1) is None
    assert view is not None
    assert view.message == first
    assert view.author_username == "ann"
    assert by_nonce == view

    again = Message(new_id(), channel.id, server.id, ann.id, "again", at(1), nonce="n-1")

    async def add_and_commit(uow: UnitOfWork) -> None:
        # PostgreSQL sends the insert with the commit, so the duplicate shows there.
        await uow.messages.add(again)
        await uow.commit()

    await expect_duplicate(db, "nonce", add_and_commit)
    # another author may use the same nonce; messages without a nonce never clash
    async with db.uow_factory() as uow:
        await uow.messages.add(
            Message(new_id(), channel.id, server.id, bob.id, "b", at(2), nonce="n-1")
        )
        for i in range(3):
            await uow.messages.add(Message(new_id(), channel.id, server.id, ann.id, "x", at(i)))
        await uow.commit()

    first.content, first.edited_at = "edited", at(60)
    async with db.uow_factory() as uow:
        await uow.messages.update(first)
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        edited = await uow.messages.get(first.id)
    assert edited is not None
    assert edited.message == first

    async with db.uow_factory() as uow:
        await uow.messages.delete(first.id)
        await uow.messages.delete(first.id)
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.messages.get(first.id) is None
        assert await uow.messages.get_by_nonce(ann.id, "n-1") is None


async def test_message_keyset_pages(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    bob = await world.user("bob")
    server = await world.server(ann)
    channel = await world.channel(server)
    noise = await world.channel(server, name="noise")
    made: list[Message] = []
    for i in range(25):  # interleave two authors and another channel's messages
        made += await world.messages(channel, ann if i % 2 else bob, 1)
        await world.messages(noise, ann, 1)
    ids = [m.id for m in made]
    assert ids == sorted(ids)

    async with db.uow_factory(read_only=True) as uow:
        newest = await uow.messages.list_before(channel.id, None, 10)
        older = await uow.messages.list_before(channel.id, newest[-1].message.id, 10)
        oldest = await uow.messages.list_before(channel.id, older[-1].message.id, 10)
        past_start = await uow.messages.list_before(channel.id, ids[0], 10)
        just_after_first = await uow.messages.list_before(channel.id, ids[1], 10)
        all_of_them = await uow.messages.list_before(channel.id, None, 100)
        after_start = await uow.messages.list_after(channel.id, 0, 10)
        after_mid = await uow.messages.list_after(channel.id, ids[9], 10)
        after_end = await uow.messages.list_after(channel.id, ids[-1], 10)
        near_end = await uow.messages.list_after(channel.id, ids[-3], 10)
        before_after = await uow.messages.list_before(channel.id, ids[-1] + 1, 1)
        empty = await uow.messages.list_before(channel.id + 999, None, 10)

    def page(views: list) -> list[int]:  # type: ignore[type-arg]
        return [v.message.id for v in views]

    assert page(newest) == ids[::-1][:10]
    assert page(older) == ids[::-1][10:20]
    assert page(oldest) == ids[::-1][20:]
    assert past_start == []
    assert page(just_after_first) == [ids[0]]
    assert page(all_of_them) == ids[::-1]
    assert page(after_start) == ids[:10]
    assert page(after_mid) == ids[10:20]
    assert after_end == []
    assert page(near_end) == ids[-2:]
    assert page(before_after) == [ids[-1]]
    assert empty == []
    assert {v.author_username for v in all_of_them} == {"ann", "bob"}
    by_id = {v.message.id: v for v in all_of_them}
    assert all(by_id[m.id].message == m for m in made)
    assert all(
        by_id[m.id].author_username == ("ann" if m.author_id == ann.id else "bob") for m in made
    )


# --- invites -----------------------------------------------------------------------------------


async def test_invites_crud(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    server = await world.server(ann)
    other = await world.server(ann, name="other")
    b = await world.invite(server, ann, code="bbb", max_uses=5, expires_at=at(3600))
    a = await world.invite(server, ann, code="aaa")
    await world.invite(other, ann, code="ccc")
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.invites.get("bbb") == b
        assert await uow.invites.get("zzz") is None
        assert await uow.invites.list_for_server(server.id) == [a, b]  # created together: by code
        assert await uow.invites.count_for_server(server.id) == 2
        assert await uow.invites.count_for_server(other.id) == 1
    await expect_duplicate(db, "invite_code", lambda uow: uow.invites.add(b))
    async with db.uow_factory() as uow:
        await uow.invites.delete("bbb")
        await uow.invites.delete("bbb")
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.invites.get("bbb") is None
        assert await uow.invites.count_for_server(server.id) == 1


async def test_invite_consume_rules(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    server = await world.server(ann)
    await world.invite(server, ann, code="unlimited", max_uses=0)
    await world.invite(server, ann, code="two", max_uses=2)
    await world.invite(server, ann, code="expiring", expires_at=at(100))
    await world.invite(server, ann, code="used-up", max_uses=3, uses=3)

    async def consume(code: str, now: float) -> bool:
        async with db.uow_factory() as uow:
            ok = await uow.invites.consume(code, at(now))
            await uow.commit()
        return ok

    assert [await consume("unlimited", 10) for _ in range(5)] == [True] * 5
    assert [await consume("two", 10) for _ in range(3)] == [True, True, False]
    assert await consume("expiring", 99.999)
    assert not await consume("expiring", 100)  # usable strictly before expires_at
    assert not await consume("expiring", 101)
    assert not await consume("used-up", 0)
    assert not await consume("missing", 0)
    async with db.uow_factory(read_only=True) as uow:
        uses = {code: (await uow.invites.get(code)) for code in ["unlimited", "two", "expiring"]}
    assert {code: i.uses for code, i in uses.items() if i} == {
        "unlimited": 5,
        "two": 2,
        "expiring": 1,
    }

    # not committed: the use is not counted
    async with db.uow_factory() as uow:
        assert await uow.invites.consume("two", at(0)) is False
        assert await uow.invites.consume("unlimited", at(0)) is True
    async with db.uow_factory(read_only=True) as uow:
        unlimited = await uow.invites.get("unlimited")
    assert unlimited is not None
    assert unlimited.uses == 5


async def test_purge_unusable_invites_deletes_expired_and_used_up_of_that_server(
    world: World,
) -> None:
    db = world.db
    ann = await world.user("ann")
    server = await world.server(ann)
    other = await world.server(ann, name="other")
    await world.invite(server, ann, code="forever", max_uses=0)
    await world.invite(server, ann, code="left", max_uses=3, uses=2)
    await world.invite(server, ann, code="expires", expires_at=at(100))
    await world.invite(server, ann, code="expired", expires_at=at(50))
    await world.invite(server, ann, code="spent", max_uses=3, uses=3)
    await world.invite(other, ann, code="other-expired", expires_at=at(50))
    async with db.uow_factory() as uow:
        assert await uow.invites.purge_unusable(server.id, at(100)) == 3
        await uow.commit()
    async with db.uow_factory(read_only=True) as uow:
        assert {i.code for i in await uow.invites.list_for_server(server.id)} == {
            "forever",
            "left",
        }
        assert await uow.invites.get("other-expired") is not None


async def test_invite_consume_is_atomic_under_concurrency(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    server = await world.server(ann)
    await world.invite(server, ann, code="three", max_uses=3)

    async def consume() -> bool:
        async with db.uow_factory() as uow:
            ok = await uow.invites.consume("three", at(1))
            await asyncio.sleep(0.01)  # hold the transaction open a little
            await uow.commit()
        return ok

    results = await asyncio.gather(*(consume() for _ in range(10)))
    assert sorted(results) == [False] * 7 + [True] * 3
    async with db.uow_factory(read_only=True) as uow:
        invite = await uow.invites.get("three")
    assert invite is not None
    assert invite.uses == 3


# --- unit of work ------------------------------------------------------------------------------


async def test_unit_of_work_rolls_back_without_commit(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    ghost = User(ann.id + 1, "ghost", "ghost@example.com", "h", UserStatus.ONLINE, at(0), at(0))
    async with db.uow_factory() as uow:
        await uow.users.add(ghost)
        assert await uow.users.get(ghost.id) == ghost  # visible inside the transaction
    async with db.uow_factory() as uow:
        await uow.users.add(ghost)
        await uow.rollback()
        assert await uow.users.get(ghost.id) is None

    async def fail_midway() -> None:
        async with db.uow_factory() as uow:
            await uow.users.add(ghost)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_midway()
    async with db.uow_factory(read_only=True) as uow:
        assert await uow.users.get(ghost.id) is None
        assert await uow.users.get(ann.id) == ann


async def test_read_only_units_read_while_a_writer_is_open(world: World) -> None:
    db = world.db
    ann = await world.user("ann")
    async with db.uow_factory() as writer:
        ann.username = "uncommitted"
        await writer.users.update(ann)
        async with db.uow_factory(read_only=True) as reader:
            seen = await reader.users.get(ann.id)
        assert seen is not None
        assert seen.username == "ann"
        await writer.commit()
    async with db.uow_factory(read_only=True) as reader:
        seen = await reader.users.get(ann.id)
    assert seen is not None
    assert seen.username == "uncommitted"


async def test_unit_of_work_cannot_be_used_outside_its_block(database: Database) -> None:
    uow = database.uow_factory()
    with pytest.raises(RuntimeError):
        await uow.commit()
    async with uow:
        with pytest.raises(RuntimeError):
            await uow.__aenter__()

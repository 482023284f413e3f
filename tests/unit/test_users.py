"""Profiles: read, and change username, email, status or password."""

from __future__ import annotations

import pytest

from discord_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from discord_core.events import MemberUpdated, PresenceUpdated, SessionsRevoked, UserUpdated
from discord_core.model import MemberView, Presence, Role, UserStatus
from discord_core.usecases import Identity

from .conftest import PASSWORD, World, fails


@pytest.fixture
async def alice(world: World) -> Identity:
    return await world.register("alice")


async def two_servers(world: World, alice: Identity) -> tuple[int, int]:
    """Alice owns one server and is a plain member of another (joined later)."""
    bob = await world.register("bob")
    own, _ = await world.server(alice, "Alice's")
    world.clock.advance(seconds=1)
    other, _ = await world.server(bob, "Bob's")
    world.clock.advance(seconds=1)
    await world.join(alice, other, bob)
    world.events.clear()
    return own, other


async def test_get_any_user_and_me(world: World, alice: Identity) -> None:
    bob = await world.register("bob")
    got = await world.users.get(alice, bob.user_id)
    assert (got.id, got.username) == (bob.user_id, "bob")
    me = await world.users.me(alice)
    assert (me.id, me.username, me.email) == (alice.user_id, "alice", "alice@example.com")
    await fails(world.users.get(alice, 999_999), NotFound, "unknown_user")


async def test_servers_lists_memberships_oldest_joined_first(world: World, alice: Identity) -> None:
    own, other = await two_servers(world, alice)
    listed = await world.users.servers(alice)
    assert [(s.id, m.role) for s, m in listed] == [(own, Role.OWNER), (other, Role.MEMBER)]


async def test_change_username_announces_it_in_every_server(world: World, alice: Identity) -> None:
    own, other = await two_servers(world, alice)
    before = world.clock.advance(seconds=5)
    user = await world.users.update_me(alice, username="  Alicia ")
    assert user.username == "alicia"
    assert user.updated_at == before
    assert (await world.users.me(alice)).username == "alicia"
    memberships = {s.id: m for s, m in await world.users.servers(alice)}
    assert world.events.events == [
        UserUpdated(alice.user_id, user),
        MemberUpdated(own, MemberView(memberships[own], "alicia", UserStatus.ONLINE)),
        MemberUpdated(other, MemberView(memberships[other], "alicia", UserStatus.ONLINE)),
    ]
    assert world.events.routed() == [
        ("USER_UPDATE", f"user:{alice.user_id}"),
        ("MEMBER_UPDATE", f"server:{own}"),
        ("MEMBER_UPDATE", f"server:{other}"),
    ]
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "invalid_credentials")
    assert (await world.auth.login("ALICIA", PASSWORD)).user.id == alice.user_id


async def test_username_change_needs_no_password(world: World, alice: Identity) -> None:
    user = await world.users.update_me(alice, username="alicia", current_password=None)
    assert user.username == "alicia"


async def test_username_taken_in_any_case(world: World, alice: Identity) -> None:
    await world.register("bob")
    await fails(
        world.users.update_me(alice, username="BOB"), Conflict, "username_taken", field="username"
    )
    assert (await world.users.me(alice)).username == "alice"
    assert world.events.events == []
    # keeping one's own name (in another case) is no conflict and no MEMBER_UPDATE
    await world.users.update_me(alice, username="ALICE")
    assert world.events.names() == ["USER_UPDATE"]


async def test_username_race_lost_at_the_unique_index(world: World, alice: Identity) -> None:
    async def concurrent_registration() -> None:
        await world.register("carol")

    world.db.inject("users.update", concurrent_registration)
    await fails(world.users.update_me(alice, username="carol"), Conflict, "username_taken")
    assert (await world.users.me(alice)).username == "alice"
    assert world.events.names() == []


async def test_email_change_needs_the_current_password(world: World, alice: Identity) -> None:
    await fails(
        world.users.update_me(alice, email="new@example.com"),
        ValidationFailed,
        "validation_failed",
        field="current_password",
    )
    await fails(
        world.users.update_me(alice, email="new@example.com", current_password="wrong password"),
        Unauthorized,
        "invalid_credentials",
    )
    await fails(
        world.users.update_me(alice, email="new@example.com", current_password="\ud800" * 9),
        Unauthorized,
        "invalid_credentials",
    )
    assert (await world.users.me(alice)).email == "alice@example.com"
    assert world.events.events == []
    user = await world.users.update_me(alice, email=" NEW@Example.com", current_password=PASSWORD)
    assert user.email == "new@example.com"
    assert world.events.names() == ["USER_UPDATE"]
    assert (await world.auth.login("new@example.com", PASSWORD)).user.id == alice.user_id
    await fails(
        world.auth.login("alice@example.com", PASSWORD), Unauthorized, "invalid_credentials"
    )


async def test_email_taken(world: World, alice: Identity) -> None:
    await world.register("bob")
    await fails(
        world.users.update_me(alice, email="BOB@example.com", current_password=PASSWORD),
        Conflict,
        "email_taken",
        field="email",
    )


async def test_password_change_signs_out_every_other_session(world: World, alice: Identity) -> None:
    other = await world.auth.login("alice", PASSWORD)
    bob = await world.register("bob")
    world.events.clear()
    await fails(
        world.users.update_me(alice, password="new password!"),
        ValidationFailed,
        "validation_failed",
        field="current_password",
    )
    await fails(
        world.users.update_me(alice, password="new password!", current_password="nope nope"),
        Unauthorized,
        "invalid_credentials",
    )
    assert world.events.events == []
    assert await world.auth.authenticate(other.token)

    user = await world.users.update_me(alice, password="new password!", current_password=PASSWORD)
    assert world.events.events == [
        UserUpdated(alice.user_id, user),
        SessionsRevoked(alice.user_id, (other.session.id,)),
    ]
    await fails(world.auth.authenticate(other.token), Unauthorized, "invalid_token")
    assert await world.auth.authenticate(world.tokens_of[alice.user_id]) == alice
    assert await world.auth.authenticate(world.tokens_of[bob.user_id]) == bob
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "invalid_credentials")
    assert (await world.auth.login("alice", "new password!")).user.id == alice.user_id


@pytest.mark.parametrize("password", ["Password123", "        "])
async def test_a_common_or_blank_new_password_is_refused(
    world: World, alice: Identity, password: str
) -> None:
    await fails(
        world.users.update_me(alice, password=password, current_password=PASSWORD),
        ValidationFailed,
        "validation_failed",
        field="password",
    )
    assert (await world.auth.login("alice", PASSWORD)).user.id == alice.user_id


async def test_new_password_is_validated_before_the_current_one_is_checked(
    world: World, alice: Identity
) -> None:
    await fails(
        world.users.update_me(alice, password="short", current_password="wrong password"),
        ValidationFailed,
        "validation_failed",
        field="password",
    )
    assert world.hasher.verified == []


async def test_status_change_while_offline_is_private(world: World, alice: Identity) -> None:
    await two_servers(world, alice)
    user = await world.users.update_me(alice, status=UserStatus.DND)
    assert user.status is UserStatus.DND
    assert world.events.events == [UserUpdated(alice.user_id, user)]


@pytest.mark.parametrize(
    ("start", "new", "shown"),
    [
        (UserStatus.ONLINE, UserStatus.AWAY, Presence.AWAY),
        (UserStatus.ONLINE, UserStatus.DND, Presence.DND),
        (UserStatus.ONLINE, UserStatus.INVISIBLE, Presence.OFFLINE),
        (UserStatus.INVISIBLE, UserStatus.ONLINE, Presence.ONLINE),
        (UserStatus.AWAY, UserStatus.DND, Presence.DND),
        (UserStatus.ONLINE, UserStatus.ONLINE, None),
        (UserStatus.AWAY, UserStatus.AWAY, None),
    ],
)
async def test_status_change_while_online_updates_presence_in_every_server(
    world: World, alice: Identity, start: UserStatus, new: UserStatus, shown: Presence | None
) -> None:
    own, other = await two_servers(world, alice)
    await world.users.update_me(alice, status=start)
    world.presence.set_online(alice.user_id)
    world.events.clear()
    user = await world.users.update_me(alice, status=new)
    expected: list[object] = [UserUpdated(alice.user_id, user)]
    if shown is not None:
        expected += [
            PresenceUpdated(own, alice.user_id, shown),
            PresenceUpdated(other, alice.user_id, shown),
        ]
    assert world.events.events == expected


async def test_username_and_status_together(world: World, alice: Identity) -> None:
    own, _ = await world.server(alice)
    world.presence.set_online(alice.user_id)
    world.events.clear()
    await world.users.update_me(alice, username="al", status=UserStatus.AWAY)
    assert world.events.routed() == [
        ("USER_UPDATE", f"user:{alice.user_id}"),
        ("MEMBER_UPDATE", f"server:{own}"),
        ("PRESENCE_UPDATE", f"server:{own}"),
    ]
    member_update = world.events.events[1]
    assert isinstance(member_update, MemberUpdated)
    assert member_update.member.username == "al"
    assert member_update.member.status is UserStatus.AWAY


async def test_invalid_fields_change_nothing(world: World, alice: Identity) -> None:
    await fails(
        world.users.update_me(alice, username="a"),
        ValidationFailed,
        "validation_failed",
        field="username",
    )
    await fails(
        world.users.update_me(alice, email="nope", current_password=PASSWORD),
        ValidationFailed,
        "validation_failed",
        field="email",
    )
    # one bad field spoils the whole update
    await fails(
        world.users.update_me(alice, username="fine", email="bad"),
        ValidationFailed,
        "validation_failed",
        field="email",
    )
    assert (await world.users.me(alice)).username == "alice"
    assert world.events.events == []


async def test_failed_commit_changes_nothing_and_announces_nothing(
    world: World, alice: Identity
) -> None:
    await world.server(alice)
    world.events.clear()
    world.db.inject("commit", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        await world.users.update_me(alice, username="alicia")
    assert world.events.events == []
    assert (await world.users.me(alice)).username == "alice"

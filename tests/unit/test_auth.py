"""Registration, login, token checks, refresh and logout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from discord_core.errors import Conflict, Unauthorized, ValidationFailed
from discord_core.events import SessionsRevoked
from discord_core.model import AuthSession, UserStatus
from discord_core.usecases import AuthUseCases, Identity
from discord_core.usecases.auth import DEFAULT_TOKEN_TTL

from .conftest import PASSWORD, World, fails


async def test_register_folds_case_hashes_and_signs_in(world: World) -> None:
    issued = await world.auth.register("  Alice.B_1 ", " Alice@Example.COM ", PASSWORD)
    assert issued.user.username == "alice.b_1"
    assert issued.user.email == "alice@example.com"
    assert issued.user.status is UserStatus.ONLINE
    assert issued.user.password_hash == f"hashed:{PASSWORD}"
    assert issued.user.created_at == issued.user.updated_at == world.clock.now()
    assert issued.session.user_id == issued.user.id
    assert issued.session.expires_at == world.clock.now() + DEFAULT_TOKEN_TTL
    identity = await world.auth.authenticate(issued.token)
    assert identity == Identity(issued.user.id, issued.session.id)
    me = await world.users.me(identity)
    assert me == issued.user
    assert world.events.events == []  # nothing to announce: nobody shares a server yet


async def test_register_refuses_a_taken_username_in_any_case(world: World) -> None:
    await world.register("alice")
    await fails(
        world.auth.register("ALICE", "other@example.com", PASSWORD),
        Conflict,
        "username_taken",
        field="username",
    )
    # nothing was written: the other email is still free
    await world.auth.register("alice2", "other@example.com", PASSWORD)


async def test_register_refuses_a_taken_email_in_any_case(world: World) -> None:
    await world.register("alice")
    await fails(
        world.auth.register("bob", "ALICE@example.com", PASSWORD),
        Conflict,
        "email_taken",
        field="email",
    )
    await fails(world.auth.login("bob", PASSWORD), Unauthorized, "invalid_credentials")


@pytest.mark.parametrize(
    ("username", "email", "code", "field", "ours"),
    [
        ("alice", "x@example.com", "username_taken", "username", "x@example.com"),
        ("xavier", "alice@example.com", "email_taken", "email", "xavier"),
    ],
)
async def test_register_race_lost_to_a_concurrent_registration_is_a_conflict(
    world: World, username: str, email: str, code: str, field: str, ours: str
) -> None:
    async def concurrent_registration() -> None:
        await world.auth.register("alice", "alice@example.com", PASSWORD)

    # The other registration commits after our uniqueness checks, before our insert.
    world.db.inject("users.add", concurrent_registration)
    await fails(world.auth.register(username, email, PASSWORD), Conflict, code, field=field)
    assert world.db.pending_hooks() == []
    assert (await world.auth.login("alice", PASSWORD)).user.email == "alice@example.com"
    await fails(world.auth.login(ours, PASSWORD), Unauthorized, "invalid_credentials")


async def test_register_validates_before_touching_anything(world: World) -> None:
    await fails(
        world.auth.register("a", "a@example.com", PASSWORD),
        ValidationFailed,
        "validation_failed",
        field="username",
    )
    await fails(
        world.auth.register("abc", "not-an-email", PASSWORD),
        ValidationFailed,
        "validation_failed",
        field="email",
    )
    await fails(
        world.auth.register("abc", "a@example.com", "short"),
        ValidationFailed,
        "validation_failed",
        field="password",
    )
    assert world.hasher.hashed == []
    assert world.fakes.uow.created == []


async def test_register_refuses_a_password_no_hasher_can_encode(world: World) -> None:
    await fails(
        world.auth.register("alice", "alice@example.com", "\ud800" * 8),
        ValidationFailed,
        "validation_failed",
        field="password",
    )


@pytest.mark.parametrize(
    "password", ["password123", "PassWord123", " 12345678 ", " " * 8, "\t \n" * 3]
)
async def test_register_refuses_common_and_blank_passwords(world: World, password: str) -> None:
    await fails(
        world.auth.register("alice", "alice@example.com", password),
        ValidationFailed,
        "validation_failed",
        field="password",
    )
    assert world.hasher.hashed == []
    assert world.fakes.uow.created == []


@pytest.mark.parametrize(
    "login", ["alice", "ALICE", "  Alice ", "alice@example.com", " Alice@EXAMPLE.com"]
)
async def test_login_by_username_or_email_in_any_case(world: World, login: str) -> None:
    registered = await world.register("alice")
    issued = await world.auth.login(login, PASSWORD)
    assert issued.user.id == registered.user_id
    assert issued.session.id != registered.session_id  # a new session per login
    assert await world.auth.authenticate(issued.token) == Identity(
        registered.user_id, issued.session.id
    )
    # the first session is still valid
    assert await world.auth.authenticate(world.tokens_of[registered.user_id])
    assert world.events.events == []


async def test_password_is_case_sensitive_and_not_stripped(world: World) -> None:
    await world.register("alice", password=" Pass word ")
    await fails(world.auth.login("alice", "Pass word"), Unauthorized, "invalid_credentials")
    await fails(world.auth.login("alice", " pass word "), Unauthorized, "invalid_credentials")
    assert (await world.auth.login("alice", " Pass word ")).user.username == "alice"


async def test_unknown_account_and_wrong_password_look_alike(world: World) -> None:
    await world.register("alice")
    wrong = await fails(
        world.auth.login("alice", "wrong password"), Unauthorized, "invalid_credentials"
    )
    assert world.hasher.verified[-1] == (f"hashed:{PASSWORD}", "wrong password")
    unknown = await fails(
        world.auth.login("nobody", "wrong password"), Unauthorized, "invalid_credentials"
    )
    # the unknown account still costs one verification, against no hash
    assert world.hasher.verified[-1] == (None, "wrong password")
    unknown_email = await fails(
        world.auth.login("nobody@example.com", PASSWORD), Unauthorized, "invalid_credentials"
    )
    assert (
        (type(wrong), wrong.code, wrong.message, wrong.field)
        == (type(unknown), unknown.code, unknown.message, unknown.field)
        == (type(unknown_email), unknown_email.code, unknown_email.message, unknown_email.field)
    )


@pytest.mark.parametrize("login", ["ali\x00ce", "alice\x01", "al\ud800ice", "a\x00@example.com"])
async def test_login_names_no_account_can_hold_are_failed_logins(world: World, login: str) -> None:
    await world.register("alice")
    await fails(world.auth.login(login, PASSWORD), Unauthorized, "invalid_credentials")


async def test_login_with_an_unencodable_password_is_a_failed_login(world: World) -> None:
    await world.register("alice")
    await fails(world.auth.login("alice", "\udfff" * 10), Unauthorized, "invalid_credentials")
    await fails(world.auth.login("nobody", "\udfff" * 10), Unauthorized, "invalid_credentials")


async def test_login_rehashes_an_outdated_hash(world: World) -> None:
    alice = await world.register("alice")
    await world.auth.login("alice", PASSWORD)
    assert world.hasher.hashed == [PASSWORD]  # up to date: not hashed again
    world.hasher.scheme = "v2"
    issued = await world.auth.login("alice", PASSWORD)
    assert issued.user.password_hash == f"v2:{PASSWORD}"
    assert world.db.tables.users[alice.user_id].password_hash == f"v2:{PASSWORD}"
    assert world.hasher.hashed == [PASSWORD, PASSWORD]
    await world.auth.login("alice", PASSWORD)
    assert world.hasher.hashed == [PASSWORD, PASSWORD]


async def test_rehash_does_not_undo_a_concurrent_password_change(world: World) -> None:
    alice = await world.register("alice")
    world.hasher.scheme = "v2"

    async def concurrent_password_change() -> None:
        await world.users.update_me(alice, password="brand new pass", current_password=PASSWORD)

    # The login has verified the old password; the change commits before it writes.
    world.db.inject("begin:write", concurrent_password_change)
    await world.auth.login("alice", PASSWORD)
    assert world.db.pending_hooks() == []
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "invalid_credentials")
    assert (await world.auth.login("alice", "brand new pass")).user.id == alice.user_id


async def test_rehash_does_not_undo_a_concurrent_rename(world: World) -> None:
    alice = await world.register("alice")
    world.hasher.scheme = "v2"

    async def concurrent_rename() -> None:
        await world.users.update_me(alice, username="alicia")

    world.db.inject("begin:write", concurrent_rename)
    issued = await world.auth.login("alice", PASSWORD)
    assert issued.user.username == "alicia"
    assert (await world.users.me(alice)).username == "alicia"
    assert issued.user.password_hash == f"v2:{PASSWORD}"  # and the rehash still happened


async def test_failed_login_does_not_rehash(world: World) -> None:
    alice = await world.register("alice")
    world.hasher.scheme = "v2"
    await fails(world.auth.login("alice", "wrong password"), Unauthorized, "invalid_credentials")
    assert world.db.tables.users[alice.user_id].password_hash == f"hashed:{PASSWORD}"


async def test_authenticate_refuses_garbage(world: World) -> None:
    for token in ["", "garbage", "tok:1:sess:", "Bearer tok"]:
        await fails(world.auth.authenticate(token), Unauthorized, "invalid_token")


async def test_authenticate_refuses_an_expired_token(world: World) -> None:
    alice = await world.register("alice")
    token = world.tokens_of[alice.user_id]
    world.clock.advance(DEFAULT_TOKEN_TTL - timedelta(microseconds=1))
    assert await world.auth.authenticate(token) == alice
    world.clock.advance(microseconds=1)
    await fails(world.auth.authenticate(token), Unauthorized, "invalid_token")


async def test_authenticate_refuses_a_revoked_session(world: World) -> None:
    alice = await world.register("alice")
    await world.auth.logout(alice)
    await fails(
        world.auth.authenticate(world.tokens_of[alice.user_id]), Unauthorized, "invalid_token"
    )


async def test_authenticate_refuses_a_token_whose_session_is_someone_elses(world: World) -> None:
    alice = await world.register("alice")
    bob = await world.register("bob")
    session = world.db.tables.sessions[bob.session_id]
    forged = world.tokens.issue(
        AuthSession(bob.session_id, alice.user_id, session.created_at, session.expires_at)
    )
    await fails(world.auth.authenticate(forged), Unauthorized, "invalid_token")


async def test_authenticate_refuses_an_unknown_session(world: World) -> None:
    alice = await world.register("alice")
    now = world.clock.now()
    forged = world.tokens.issue(AuthSession("never", alice.user_id, now, now + DEFAULT_TOKEN_TTL))
    await fails(world.auth.authenticate(forged), Unauthorized, "invalid_token")


async def test_authenticate_follows_the_session_expiry_not_only_the_token(world: World) -> None:
    auth = AuthUseCases(world.deps, token_ttl=timedelta(hours=1))
    issued = await auth.register("alice", "alice@example.com", PASSWORD)
    later = issued.session.expires_at + timedelta(days=1)
    long_token = world.tokens.issue(
        AuthSession(issued.session.id, issued.user.id, issued.session.created_at, later)
    )
    world.clock.advance(hours=1)
    await fails(auth.authenticate(long_token), Unauthorized, "invalid_token")


async def test_refresh_extends_the_session(world: World) -> None:
    alice = await world.register("alice")
    old_token = world.tokens_of[alice.user_id]
    world.clock.advance(days=20)
    refreshed = await world.auth.refresh(alice)
    assert refreshed.session.id == alice.session_id
    assert refreshed.session.expires_at == world.clock.now() + DEFAULT_TOKEN_TTL
    assert refreshed.user.id == alice.user_id
    world.clock.advance(days=15)  # 35 days after sign-in
    await fails(world.auth.authenticate(old_token), Unauthorized, "invalid_token")
    assert await world.auth.authenticate(refreshed.token) == alice
    assert world.events.events == []


async def test_refresh_refuses_a_revoked_or_expired_session(world: World) -> None:
    alice = await world.register("alice")
    bob = await world.register("bob")
    await world.auth.logout(alice)
    await fails(world.auth.refresh(alice), Unauthorized, "invalid_token")
    world.clock.advance(DEFAULT_TOKEN_TTL)
    await fails(world.auth.refresh(bob), Unauthorized, "invalid_token")
    session = world.db.tables.sessions[bob.session_id]
    assert session.expires_at == world.clock.now()  # not extended


async def test_logout_revokes_only_this_session(world: World) -> None:
    alice = await world.register("alice")
    other = await world.login("alice")
    world.events.clear()
    await world.auth.logout(alice)
    assert world.events.events == [SessionsRevoked(alice.user_id, (alice.session_id,))]
    assert world.events.routed() == [("SESSIONS_REVOKED", "all:0")]  # every instance hears it
    await fails(
        world.auth.authenticate(world.tokens_of[alice.user_id]), Unauthorized, "invalid_token"
    )
    assert (await world.auth.refresh(other)).session.id == other.session_id


async def test_logout_everywhere_revokes_every_session(world: World) -> None:
    alice = await world.register("alice")
    second = await world.auth.login("alice", PASSWORD)
    world.clock.advance(seconds=1)
    third = await world.auth.login("alice", PASSWORD)
    bob = await world.register("bob")
    world.events.clear()
    await world.auth.logout(alice, everywhere=True)
    assert world.events.events == [
        SessionsRevoked(alice.user_id, (alice.session_id, second.session.id, third.session.id))
    ]
    for token in (world.tokens_of[alice.user_id], second.token, third.token):
        await fails(world.auth.authenticate(token), Unauthorized, "invalid_token")
    assert await world.auth.authenticate(world.tokens_of[bob.user_id]) == bob


async def test_logout_publishes_nothing_when_the_commit_fails(world: World) -> None:
    alice = await world.register("alice")
    world.events.clear()
    world.db.inject("commit", RuntimeError("database gone"))
    with pytest.raises(RuntimeError, match="database gone"):
        await world.auth.logout(alice)
    assert world.events.events == []
    assert await world.auth.authenticate(world.tokens_of[alice.user_id]) == alice


async def test_reads_use_read_only_units_of_work(world: World) -> None:
    alice = await world.register("alice")
    uows = world.fakes.uow
    start = len(uows.created)
    await world.auth.authenticate(world.tokens_of[alice.user_id])
    await world.auth.login("alice", PASSWORD)
    # authenticate: one read; login: a read for the lookup, then a write for the session
    assert uows.read_only_flags[start:] == [True, True, False]

"""Who may do what, from one table: every role and a non-member x every action.

A non-member gets the same NotFound as for an object that does not exist (never Forbidden).
A refused action commits nothing and announces nothing. Ids that belong to another server
(or a message id of another channel) are unknown, whatever the caller's role.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from discord_core.errors import Conflict, DomainError, Forbidden, NotFound
from discord_core.model import Role
from discord_core.usecases import Identity

from .conftest import Crew, World, build_crew, fails


@dataclass(frozen=True)
class Objects:
    """The objects an action acts on; `missing()` swaps them for ids that never existed."""

    server_id: int
    channel_id: int
    invite: str
    message_id: int  # a message of member2's in `channel_id`
    stranger: int = 0  # a user in no server of the crew's
    banned: int = 0  # a user banned from the server

    def missing(self) -> Objects:
        return replace(
            self,
            server_id=9_000_001,
            channel_id=9_000_002,
            invite="nosuchinvite",
            message_id=9_000_003,
        )


Act = Callable[[Crew, Identity, Objects], Awaitable[object]]
ACTIONS: dict[str, Act] = {
    "get server": lambda c, who, o: c.world.servers.get(who, o.server_id),
    "update server": lambda c, who, o: c.world.servers.update(who, o.server_id, name="Renamed"),
    "delete server": lambda c, who, o: c.world.servers.delete(who, o.server_id),
    "transfer ownership": lambda c, who, o: c.world.servers.transfer_ownership(
        who, o.server_id, c.member2.user_id
    ),
    "list channels": lambda c, who, o: c.world.channels.list_channels(who, o.server_id),
    "get channel": lambda c, who, o: c.world.channels.get(who, o.channel_id),
    "create channel": lambda c, who, o: c.world.channels.create(who, o.server_id, "new"),
    "update channel": lambda c, who, o: c.world.channels.update(who, o.channel_id, name="x"),
    "reorder channel": lambda c, who, o: c.world.channels.update(who, o.channel_id, position=1),
    "delete channel": lambda c, who, o: c.world.channels.delete(who, o.channel_id),
    "create invite": lambda c, who, o: c.world.invites.create(who, o.server_id),
    "list invites": lambda c, who, o: c.world.invites.list_invites(who, o.server_id),
    "revoke invite": lambda c, who, o: c.world.invites.revoke(who, o.invite),
    "list members": lambda c, who, o: c.world.members.list_members(who, o.server_id),
    "get member": lambda c, who, o: c.world.members.get(who, o.server_id, c.owner.user_id),
    "read history": lambda c, who, o: c.world.messages.history(who, o.channel_id),
    "get message": lambda c, who, o: c.world.messages.get(who, o.channel_id, o.message_id),
    "post": lambda c, who, o: c.world.messages.post(who, o.channel_id, "hello"),
    "typing": lambda c, who, o: c.world.messages.typing(who, o.channel_id),
    "edit others' message": lambda c, who, o: c.world.messages.edit(
        who, o.channel_id, o.message_id, "changed"
    ),
    "delete others' message": lambda c, who, o: c.world.messages.delete(
        who, o.channel_id, o.message_id
    ),
    "leave": lambda c, who, o: c.world.members.leave(who, o.server_id),
}

ROLES = [Role.OWNER, Role.ADMIN, Role.MODERATOR, Role.MEMBER]


def _kick(target: Role) -> Act:
    return lambda c, who, o: c.world.members.kick(who, o.server_id, c.target(target).user_id)


def _set_role(target: Role, new: Role) -> Act:
    return lambda c, who, o: c.world.members.set_role(
        who, o.server_id, c.target(target).user_id, new
    )


def _ban(target: Role) -> Act:
    return lambda c, who, o: c.world.moderation.ban(who, o.server_id, c.target(target).user_id)


def _timeout(target: Role) -> Act:
    return lambda c, who, o: c.world.members.update(
        who,
        o.server_id,
        c.target(target).user_id,
        until=c.world.clock.now() + timedelta(hours=1),
    )


ACTIONS.update(
    {
        "ban non-member": lambda c, who, o: c.world.moderation.ban(who, o.server_id, o.stranger),
        "unban": lambda c, who, o: c.world.moderation.unban(who, o.server_id, o.banned),
        "list bans": lambda c, who, o: c.world.moderation.list_bans(who, o.server_id),
        "get ban": lambda c, who, o: c.world.moderation.get_ban(who, o.server_id, o.banned),
        "read audit log": lambda c, who, o: c.world.moderation.audit_log(who, o.server_id),
        "lift timeout member": lambda c, who, o: c.world.members.update(
            who, o.server_id, c.member2.user_id, until=None
        ),
    }
)

for _target in ROLES:
    ACTIONS[f"kick {_target}"] = _kick(_target)
    ACTIONS[f"ban {_target}"] = _ban(_target)
    ACTIONS[f"timeout {_target}"] = _timeout(_target)
    for _new in ROLES:
        ACTIONS[f"set {_target} to {_new}"] = _set_role(_target, _new)

# Outcomes: "ok", or (error class, code).
Outcome = str | tuple[type[DomainError], str]
OK = "ok"
MISSING = (Forbidden, "missing_permission")
RANK = (Forbidden, "role_hierarchy")
AUTHOR = (Forbidden, "not_author")
NO_SERVER = (NotFound, "unknown_server")
NO_CHANNEL = (NotFound, "unknown_channel")
NO_INVITE = (NotFound, "unknown_invite")
NO_BAN = (NotFound, "unknown_ban")
OWNER_STAYS = (Conflict, "owner_cannot_leave")

# fmt: off
TABLE: dict[str, tuple[Outcome, Outcome, Outcome, Outcome, Outcome]] = {
    # action                     owner        admin  moderator  member   non-member
    "get server":               (OK,          OK,    OK,        OK,      NO_SERVER),
    "update server":            (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "delete server":            (OK,          MISSING, MISSING, MISSING, NO_SERVER),
    "transfer ownership":       (OK,          MISSING, MISSING, MISSING, NO_SERVER),
    "list channels":            (OK,          OK,    OK,        OK,      NO_SERVER),
    "get channel":              (OK,          OK,    OK,        OK,      NO_CHANNEL),
    "create channel":           (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "update channel":           (OK,          OK,    MISSING,   MISSING, NO_CHANNEL),
    "reorder channel":          (OK,          OK,    MISSING,   MISSING, NO_CHANNEL),
    "delete channel":           (OK,          OK,    MISSING,   MISSING, NO_CHANNEL),
    "create invite":            (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "list invites":             (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "revoke invite":            (OK,          OK,    MISSING,   MISSING, NO_INVITE),
    "list members":             (OK,          OK,    OK,        OK,      NO_SERVER),
    "get member":               (OK,          OK,    OK,        OK,      NO_SERVER),
    "read history":             (OK,          OK,    OK,        OK,      NO_CHANNEL),
    "get message":              (OK,          OK,    OK,        OK,      NO_CHANNEL),
    "post":                     (OK,          OK,    OK,        OK,      NO_CHANNEL),
    "typing":                   (OK,          OK,    OK,        OK,      NO_CHANNEL),
    "edit others' message":     (AUTHOR,      AUTHOR, AUTHOR,   AUTHOR,  NO_CHANNEL),
    "delete others' message":   (OK,          OK,    OK,        MISSING, NO_CHANNEL),
    "leave":                    (OWNER_STAYS, OK,    OK,        OK,      NO_SERVER),
    "kick owner":               (RANK,        RANK,  RANK,      MISSING, NO_SERVER),
    "kick admin":               (OK,          RANK,  RANK,      MISSING, NO_SERVER),
    "kick moderator":           (OK,          OK,    RANK,      MISSING, NO_SERVER),
    "kick member":              (OK,          OK,    OK,        MISSING, NO_SERVER),
    # Roles: only on someone ranked below you, only to a role below yours; never to owner.
    "set owner to owner":       (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set owner to admin":       (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set owner to moderator":   (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set owner to member":      (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set admin to owner":       (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set admin to admin":       (OK,          RANK,  MISSING,   MISSING, NO_SERVER),
    "set admin to moderator":   (OK,          RANK,  MISSING,   MISSING, NO_SERVER),
    "set admin to member":      (OK,          RANK,  MISSING,   MISSING, NO_SERVER),
    "set moderator to owner":   (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set moderator to admin":   (OK,          RANK,  MISSING,   MISSING, NO_SERVER),
    "set moderator to moderator": (OK,        OK,    MISSING,   MISSING, NO_SERVER),
    "set moderator to member":  (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "set member to owner":      (RANK,        RANK,  MISSING,   MISSING, NO_SERVER),
    "set member to admin":      (OK,          RANK,  MISSING,   MISSING, NO_SERVER),
    "set member to moderator":  (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "set member to member":     (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    # Moderation: bans and timeouts on lower ranks only (moderator and above); a user who is
    # not a member can be banned by anyone who may ban; the audit log is admin and above.
    "ban owner":                (RANK,        RANK,  RANK,      MISSING, NO_SERVER),
    "ban admin":                (OK,          RANK,  RANK,      MISSING, NO_SERVER),
    "ban moderator":            (OK,          OK,    RANK,      MISSING, NO_SERVER),
    "ban member":               (OK,          OK,    OK,        MISSING, NO_SERVER),
    "ban non-member":           (OK,          OK,    OK,        MISSING, NO_SERVER),
    "unban":                    (OK,          OK,    OK,        MISSING, NO_SERVER),
    "list bans":                (OK,          OK,    OK,        MISSING, NO_SERVER),
    "get ban":                  (OK,          OK,    OK,        MISSING, NO_SERVER),
    "read audit log":           (OK,          OK,    MISSING,   MISSING, NO_SERVER),
    "timeout owner":            (RANK,        RANK,  RANK,      MISSING, NO_SERVER),
    "timeout admin":            (OK,          RANK,  RANK,      MISSING, NO_SERVER),
    "timeout moderator":        (OK,          OK,    RANK,      MISSING, NO_SERVER),
    "timeout member":           (OK,          OK,    OK,        MISSING, NO_SERVER),
    "lift timeout member":      (OK,          OK,    OK,        MISSING, NO_SERVER),
}
# fmt: on
ACTORS: list[Role | None] = [Role.OWNER, Role.ADMIN, Role.MODERATOR, Role.MEMBER, None]
CASES = [
    pytest.param(action, actor, TABLE[action][i], id=f"{actor or 'non-member'}-{action}")
    for action in TABLE
    for i, actor in enumerate(ACTORS)
]


READS = {
    "get server",
    "list channels",
    "get channel",
    "list invites",
    "list members",
    "get member",
    "read history",
    "get message",
    "typing",
    "list bans",
    "get ban",
    "read audit log",
}


def test_the_table_covers_every_action() -> None:
    assert set(TABLE) == set(ACTIONS)


async def setup(world: World) -> tuple[Crew, Objects]:
    crew = await build_crew(world)
    invite = await world.invites.create(crew.owner, crew.server_id)
    await world.channels.create(crew.owner, crew.server_id, "second")
    posted = await world.messages.post(crew.member2, crew.general_id, "by member2")
    stranger = await world.register("stranger")
    banned = await world.register("banned")
    await world.moderation.ban(crew.owner, crew.server_id, banned.user_id)
    await world.members.update(
        crew.owner,
        crew.server_id,
        crew.member2.user_id,
        until=world.clock.now() + timedelta(minutes=5),
    )
    world.events.clear()
    return crew, Objects(
        crew.server_id,
        crew.general_id,
        invite.code,
        posted.message.message.id,
        stranger.user_id,
        banned.user_id,
    )


@pytest.mark.parametrize(("action", "actor", "expected"), CASES)
async def test_permission_matrix(
    world: World, action: str, actor: Role | None, expected: Outcome
) -> None:
    crew, objects = await setup(world)
    who = crew.actor(actor)
    act = ACTIONS[action]
    commits = world.db.commits
    if expected == OK:
        await act(crew, who, objects)
        if action in READS or action.endswith(tuple(f"{r} to {r}" for r in ROLES)):
            assert world.db.commits == commits, "a read (or a no-op) committed"
        else:
            assert world.db.commits == commits + 1, "an allowed change was not committed"
        return
    assert isinstance(expected, tuple)
    error, code = expected
    refused = await fails(act(crew, who, objects), error, code)
    assert world.db.commits == commits, "a refused action committed"
    assert world.events.events == [], "a refused action announced something"
    if actor is None:
        # A non-member learns nothing: the same answer as for ids that never existed.
        never = await fails(act(crew, crew.owner, objects.missing()), error, code)
        assert (refused.code, refused.message, refused.field) == (
            never.code,
            never.message,
            never.field,
        )


# --- ids of another server ----------------------------------------------------------------


@dataclass
class TwoServers:
    crew: Crew
    other_server: int
    other_channel: int
    other_message: int
    other_invite: str
    stranger: Identity  # a member of the other server only


@pytest.fixture
async def two(crew: Crew) -> TwoServers:
    w = crew.world
    stranger = await w.register("stranger")
    other_server, other_channel = await w.server(stranger, "Other")
    posted = await w.messages.post(stranger, other_channel, "over here")
    invite = await w.invites.create(stranger, other_server)
    w.events.clear()
    return TwoServers(
        crew, other_server, other_channel, posted.message.message.id, invite.code, stranger
    )


async def test_channel_ids_of_another_server_are_unknown(two: TwoServers) -> None:
    c, w = two.crew, two.crew.world
    ch = two.other_channel
    for call in [
        w.channels.get(c.owner, ch),
        w.channels.update(c.owner, ch, name="mine"),
        w.channels.update(c.owner, ch, position=0),
        w.channels.delete(c.owner, ch),
        w.messages.history(c.owner, ch),
        w.messages.post(c.owner, ch, "hi"),
        w.messages.typing(c.owner, ch),
        w.messages.get(c.owner, ch, two.other_message),
        w.messages.edit(c.owner, ch, two.other_message, "x"),
        w.messages.delete(c.owner, ch, two.other_message),
    ]:
        await fails(call, NotFound, "unknown_channel")
    assert w.events.events == []
    assert len(await w.messages.history(two.stranger, ch)) == 1


async def test_message_ids_of_another_server_are_unknown(two: TwoServers) -> None:
    c, w = two.crew, two.crew.world
    mid = two.other_message
    await fails(w.messages.get(c.owner, c.general_id, mid), NotFound, "unknown_message")
    await fails(w.messages.edit(c.owner, c.general_id, mid, "x"), NotFound, "unknown_message")
    await fails(w.messages.delete(c.owner, c.general_id, mid), NotFound, "unknown_message")
    assert w.events.events == []


async def test_users_of_another_server_are_unknown_members(two: TwoServers) -> None:
    c, w = two.crew, two.crew.world
    uid = two.stranger.user_id
    await fails(w.members.get(c.owner, c.server_id, uid), NotFound, "unknown_member")
    await fails(w.members.kick(c.owner, c.server_id, uid), NotFound, "unknown_member")
    await fails(
        w.members.set_role(c.owner, c.server_id, uid, Role.ADMIN), NotFound, "unknown_member"
    )
    await fails(w.servers.transfer_ownership(c.owner, c.server_id, uid), NotFound, "unknown_member")
    assert w.events.events == []
    assert (await w.servers.get(two.stranger, two.other_server)).member_count == 1


async def test_another_servers_invites_and_settings_are_out_of_reach(two: TwoServers) -> None:
    c, w = two.crew, two.crew.world
    await fails(w.invites.revoke(c.owner, two.other_invite), NotFound, "unknown_invite")
    await fails(w.invites.list_invites(c.owner, two.other_server), NotFound, "unknown_server")
    await fails(w.invites.create(c.owner, two.other_server), NotFound, "unknown_server")
    await fails(
        w.servers.update(c.owner, two.other_server, name="mine"), NotFound, "unknown_server"
    )
    await fails(w.servers.delete(c.owner, two.other_server), NotFound, "unknown_server")
    await fails(w.channels.create(c.owner, two.other_server, "mine"), NotFound, "unknown_server")
    assert w.events.events == []
    assert (await w.invites.preview(c.owner, two.other_invite)).server.name == "Other"

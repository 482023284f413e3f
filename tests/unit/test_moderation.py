"""Moderation: bans (with message clean-up), timeouts, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from discord_core import limits
from discord_core.errors import Forbidden, NotFound, TimedOut, ValidationFailed
from discord_core.events import MemberRemoved, MemberUpdated, MessageDeleted, ServerUnavailable
from discord_core.model import AuditAction, Role

from .conftest import Crew, fails


async def entries(crew: Crew, **filters: object) -> list[tuple[str, int, int | None]]:
    found = await crew.world.moderation.audit_log(crew.owner, crew.server_id, **filters)  # type: ignore[arg-type]
    return [(e.action.value, e.actor_id, e.target_id) for e in found]


# --- bans -----------------------------------------------------------------------------------


async def test_a_ban_removes_the_member_at_once_and_keeps_them_out(crew: Crew) -> None:
    w = crew.world
    result = await w.moderation.ban(
        crew.mod, crew.server_id, crew.member.user_id, reason="  spam  "
    )
    assert result.created and result.ban.reason == "spam"
    assert crew.member.user_id not in await w.user_ids(crew.server_id, crew.owner)
    assert [type(e) for e in w.events.events] == [MemberRemoved, ServerUnavailable]
    assert w.events.events[0].kicked
    fresh = await w.invites.create(crew.owner, crew.server_id, max_age=0)
    await fails(w.invites.accept(crew.member, fresh.code), Forbidden, "banned")
    assert crew.member.user_id not in await w.user_ids(crew.server_id, crew.owner)
    bans = await w.moderation.list_bans(crew.mod, crew.server_id)
    assert [(b.ban.user_id, b.username, b.ban.reason) for b in bans] == [
        (crew.member.user_id, "member", "spam")
    ]
    assert await entries(crew) == [
        ("invite_create", crew.owner.user_id, None),
        (AuditAction.MEMBER_BAN_ADD.value, crew.mod.user_id, crew.member.user_id),
    ]


async def test_banning_again_changes_nothing(crew: Crew) -> None:
    w = crew.world
    await w.moderation.ban(crew.mod, crew.server_id, crew.member.user_id)
    commits = w.db.commits
    again = await w.moderation.ban(crew.admin, crew.server_id, crew.member.user_id, reason="x")
    assert not again.created and again.ban.actor_id == crew.mod.user_id
    assert w.db.commits == commits
    assert len(await entries(crew)) == 1


async def test_a_user_who_is_not_a_member_can_be_banned_before_joining(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id, max_age=0)
    await w.moderation.ban(crew.mod, crew.server_id, crew.outsider.user_id)
    w.events.clear()
    await fails(w.invites.accept(crew.outsider, invite.code), Forbidden, "banned")
    assert w.events.events == []
    assert (await w.invites.preview(crew.outsider, invite.code)).invite.uses == 0
    await w.moderation.unban(crew.mod, crew.server_id, crew.outsider.user_id, reason="appeal")
    await w.invites.accept(crew.outsider, invite.code)
    assert crew.outsider.user_id in await w.user_ids(crew.server_id, crew.owner)
    log = await w.moderation.audit_log(crew.owner, crew.server_id)
    assert [(e.action, e.reason) for e in log] == [
        (AuditAction.MEMBER_BAN_REMOVE, "appeal"),
        (AuditAction.MEMBER_BAN_ADD, None),
        (AuditAction.INVITE_CREATE, None),
    ]


async def test_unknown_users_and_bans(crew: Crew) -> None:
    w = crew.world
    await fails(w.moderation.ban(crew.mod, crew.server_id, 9_999_999), NotFound, "unknown_user")
    await fails(
        w.moderation.unban(crew.mod, crew.server_id, crew.member.user_id), NotFound, "unknown_ban"
    )
    await fails(
        w.moderation.get_ban(crew.mod, crew.server_id, crew.member.user_id),
        NotFound,
        "unknown_ban",
    )
    assert await entries(crew) == []


async def test_a_ban_deletes_the_recent_messages_it_is_asked_to(crew: Crew) -> None:
    w = crew.world
    old = await w.messages.post(crew.member, crew.general_id, "old")
    w.clock.advance(timedelta(hours=2))
    recent = [await w.messages.post(crew.member, crew.general_id, f"new {i}") for i in range(3)]
    other = await w.messages.post(crew.member2, crew.general_id, "someone else's")
    w.events.clear()
    result = await w.moderation.ban(
        crew.mod, crew.server_id, crew.member.user_id, delete_message_seconds=3600
    )
    assert result.deleted_messages == 3
    left = {m.message.id for m in await w.messages.history(crew.owner, crew.general_id)}
    assert old.message.message.id in left and other.message.message.id in left
    assert not left & {p.message.message.id for p in recent}
    deleted = [e for e in w.events.events if isinstance(e, MessageDeleted)]
    assert sorted(e.message_id for e in deleted) == sorted(p.message.message.id for p in recent)
    log = await w.moderation.audit_log(crew.owner, crew.server_id)
    assert log[0].changes[0].key == "delete_message_seconds"
    assert log[0].changes[0].new_value == 3600


@pytest.mark.parametrize("seconds", [-1, limits.BAN_DELETE_SECONDS_MAX + 1])
async def test_delete_message_seconds_is_at_most_a_week(crew: Crew, seconds: int) -> None:
    await fails(
        crew.world.moderation.ban(
            crew.mod, crew.server_id, crew.member.user_id, delete_message_seconds=seconds
        ),
        ValidationFailed,
        "validation_failed",
        field="delete_message_seconds",
    )


async def test_reasons_are_at_most_512_characters(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.moderation.ban(crew.mod, crew.server_id, crew.member.user_id, reason="x" * 513),
        ValidationFailed,
        "validation_failed",
        field="reason",
    )
    await fails(
        w.members.kick(crew.mod, crew.server_id, crew.member.user_id, reason="a\x00b"),
        ValidationFailed,
        "validation_failed",
        field="reason",
    )
    await w.moderation.ban(crew.mod, crew.server_id, crew.member.user_id, reason="y" * 512)
    assert (await entries(crew))[0][0] == "member_ban_add"


# --- timeouts -------------------------------------------------------------------------------


async def test_a_timed_out_member_reads_but_cannot_post_or_type(crew: Crew) -> None:
    w = crew.world
    until = w.clock.now() + timedelta(hours=1)
    view = await w.members.update(crew.mod, crew.server_id, crew.member.user_id, until=until)
    assert view.member.communication_disabled_until == until
    assert isinstance(w.events.events[-1], MemberUpdated)
    error = await fails(w.messages.post(crew.member, crew.general_id, "hi"), TimedOut, "timed_out")
    assert isinstance(error, TimedOut) and error.until == until
    await fails(w.messages.typing(crew.member, crew.general_id), TimedOut, "timed_out")
    await fails(w.messages.check_can_post(crew.member, crew.general_id), TimedOut, "timed_out")
    assert await w.messages.history(crew.member, crew.general_id) == []
    w.clock.advance(timedelta(hours=1, seconds=1))
    await w.messages.post(crew.member, crew.general_id, "back")


async def test_a_timeout_can_be_lifted_and_is_audited(crew: Crew) -> None:
    w = crew.world
    until = w.clock.now() + timedelta(days=2)
    await w.members.update(
        crew.mod, crew.server_id, crew.member.user_id, until=until, reason="cool off"
    )
    await w.members.update(crew.mod, crew.server_id, crew.member.user_id, until=None)
    await w.messages.post(crew.member, crew.general_id, "free")
    log = await w.moderation.audit_log(crew.owner, crew.server_id)
    assert [(e.action, e.reason) for e in log] == [
        (AuditAction.MEMBER_UPDATE, None),
        (AuditAction.MEMBER_UPDATE, "cool off"),
    ]
    assert log[1].changes[0].new_value == until.isoformat()
    assert log[0].changes[0].old_value == until.isoformat()
    assert log[0].changes[0].new_value is None
    commits = w.db.commits
    await w.members.update(crew.mod, crew.server_id, crew.member.user_id, until=None)
    assert w.db.commits == commits  # nothing to lift: no entry, no event


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(seconds=-5), timedelta(days=28, seconds=1)]
)
async def test_a_timeout_ends_in_the_future_within_28_days(crew: Crew, offset: timedelta) -> None:
    w = crew.world
    await fails(
        w.members.update(
            crew.mod, crew.server_id, crew.member.user_id, until=w.clock.now() + offset
        ),
        ValidationFailed,
        "validation_failed",
        field="communication_disabled_until",
    )
    await w.members.update(
        crew.mod, crew.server_id, crew.member.user_id, until=w.clock.now() + timedelta(days=28)
    )


async def test_a_role_change_and_a_timeout_in_one_request(crew: Crew) -> None:
    w = crew.world
    until = w.clock.now() + timedelta(minutes=10)
    await w.members.update(
        crew.admin, crew.server_id, crew.member.user_id, role=Role.MODERATOR, until=until
    )
    assert [a for a, _, _ in await entries(crew)] == ["member_update", "member_role_update"]
    # Refused as a whole: a moderator may time out, not change roles.
    commits = w.db.commits
    await fails(
        w.members.update(
            crew.mod, crew.server_id, crew.member2.user_id, role=Role.MEMBER, until=until
        ),
        Forbidden,
        "missing_permission",
    )
    assert w.db.commits == commits


# --- the audit log --------------------------------------------------------------------------


async def test_every_audited_action_writes_one_entry(crew: Crew) -> None:
    w = crew.world
    o, s = crew.owner, crew.server_id
    await w.servers.update(o, s, name="Renamed", reason="rebrand")
    channel = await w.channels.create(o, s, "news")
    await w.channels.update(o, channel.id, topic="what's new")
    await w.channels.update(o, channel.id, position=0)
    await w.channels.delete(o, channel.id)
    invite = await w.invites.create(o, s)
    await w.invites.revoke(o, invite.code)
    posted = await w.messages.post(crew.member, crew.general_id, "rude")
    own = await w.messages.post(crew.mod, crew.general_id, "mine")
    await w.messages.delete(crew.mod, crew.general_id, posted.message.message.id)
    await w.messages.delete(crew.mod, crew.general_id, own.message.message.id)  # not audited
    await w.members.set_role(o, s, crew.member.user_id, Role.MODERATOR)
    await w.members.kick(o, s, crew.member.user_id)
    await w.moderation.ban(o, s, crew.member2.user_id)
    await w.moderation.unban(o, s, crew.member2.user_id)
    await w.servers.transfer_ownership(o, s, crew.admin.user_id)
    log = await w.moderation.audit_log(crew.admin, s, limit=100)
    assert [e.action.value for e in reversed(log)] == [
        "server_update",
        "channel_create",
        "channel_update",
        "channel_update",
        "channel_delete",
        "invite_create",
        "invite_delete",
        "message_delete",
        "member_role_update",
        "member_kick",
        "member_ban_add",
        "member_ban_remove",
        "owner_transfer",
    ]
    by_action = {e.action: e for e in log}
    assert by_action[AuditAction.SERVER_UPDATE].reason == "rebrand"
    assert [
        (c.key, c.old_value, c.new_value) for c in by_action[AuditAction.SERVER_UPDATE].changes
    ] == [("name", "Crew", "Renamed")]
    assert by_action[AuditAction.MESSAGE_DELETE].target_id == crew.member.user_id
    assert by_action[AuditAction.OWNER_TRANSFER].target_id == crew.admin.user_id
    assert by_action[AuditAction.INVITE_CREATE].target_id is None


async def test_a_refused_action_writes_no_entry(crew: Crew) -> None:
    w = crew.world
    s = crew.server_id
    await fails(w.members.kick(crew.mod, s, crew.admin.user_id), Forbidden, "role_hierarchy")
    await fails(
        w.moderation.ban(crew.member, s, crew.member2.user_id), Forbidden, "missing_permission"
    )
    await fails(w.servers.update(crew.mod, s, name="x"), Forbidden, "missing_permission")
    await fails(w.channels.create(crew.owner, s, ""), ValidationFailed, "validation_failed")
    assert await entries(crew) == []


async def test_the_audit_log_pages_and_filters(crew: Crew) -> None:
    w = crew.world
    s = crew.server_id
    for i in range(5):
        await w.channels.create(crew.owner, s, f"c{i}")
    await w.members.kick(crew.mod, s, crew.member.user_id)
    first = await w.moderation.audit_log(crew.admin, s, limit=2)
    second = await w.moderation.audit_log(crew.admin, s, limit=2, before=first[-1].id)
    everything = await w.moderation.audit_log(crew.admin, s)
    assert [e.id for e in everything][:4] == [e.id for e in first + second]
    assert len(everything) == 6
    kicks = await w.moderation.audit_log(crew.admin, s, action="member_kick")
    assert [(e.actor_id, e.target_id) for e in kicks] == [(crew.mod.user_id, crew.member.user_id)]
    by_mod = await w.moderation.audit_log(crew.admin, s, actor_id=crew.mod.user_id)
    assert [e.action for e in by_mod] == [AuditAction.MEMBER_KICK]
    await fails(
        w.moderation.audit_log(crew.admin, s, action="nonsense"),
        ValidationFailed,
        "validation_failed",
        field="action",
    )
    await fails(
        w.moderation.audit_log(crew.admin, s, limit=101),
        ValidationFailed,
        "validation_failed",
        field="limit",
    )


async def test_an_entry_is_written_in_the_actions_transaction(crew: Crew) -> None:
    """A failure at commit leaves neither the kick nor its entry."""
    w = crew.world
    w.db.inject("commit", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        await w.members.kick(crew.mod, crew.server_id, crew.member.user_id)
    assert crew.member.user_id in await w.user_ids(crew.server_id, crew.owner)
    assert await entries(crew) == []


async def test_audit_entries_go_with_their_server(crew: Crew) -> None:
    w = crew.world
    await w.members.kick(crew.mod, crew.server_id, crew.member.user_id)
    await w.moderation.ban(crew.mod, crew.server_id, crew.member.user_id)
    await w.servers.delete(crew.owner, crew.server_id)
    assert w.db.tables.audit_log == {} and w.db.tables.bans == {}


async def test_a_timed_out_member_cannot_react(crew: Crew) -> None:
    w = crew.world
    mid = (await w.messages.post(crew.owner, crew.general_id, "vote")).message.message.id
    until = w.clock.now() + timedelta(minutes=10)
    await w.members.update(crew.mod, crew.server_id, crew.member.user_id, until=until)
    await fails(w.reactions.add(crew.member, crew.general_id, mid, "👍"), TimedOut, "timed_out")
    w.clock.advance(timedelta(minutes=11))
    await w.reactions.add(crew.member, crew.general_id, mid, "👍")


async def test_pins_and_unpins_are_audited(crew: Crew) -> None:
    w = crew.world
    mid = (await w.messages.post(crew.member, crew.general_id, "keep")).message.message.id
    await w.pins.pin(crew.mod, crew.general_id, mid)
    await w.pins.pin(crew.mod, crew.general_id, mid)  # already pinned: nothing happens
    await w.pins.unpin(crew.admin, crew.general_id, mid)
    assert await entries(crew) == [
        (AuditAction.MESSAGE_UNPIN.value, crew.admin.user_id, mid),
        (AuditAction.MESSAGE_PIN.value, crew.mod.user_id, mid),
    ]

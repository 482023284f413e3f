"""#15: mention parsing, read states (monotonic), derived mention counts, acks and their
events, READY's read states, notification settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from discord_core.errors import NotFound, ValidationFailed
from discord_core.events import MessageAcked, NotificationSettingsUpdated
from discord_core.mentions import parse
from discord_core.model import NotificationLevel, ReadState, Role
from discord_core.usecases import Identity, Reply

from .conftest import Crew, World, fails


async def post(crew: Crew, who: Identity, text: str, channel: int | None = None) -> int:
    posted = await crew.world.messages.post(who, channel or crew.general_id, text)
    return posted.message.message.id


async def state(crew: Crew, who: Identity, channel: int | None = None) -> ReadState:
    wanted = channel or crew.general_id
    (found,) = [s for s in await crew.world.read_states.read_states(who) if s.channel_id == wanted]
    return found


# --- parsing ---------------------------------------------------------------------------------


def test_parse_takes_each_id_once_in_order() -> None:
    parsed = parse("<@5> hi <@!7> and <@5> again <@0> <@x>", Role.MEMBER)
    assert parsed.user_ids == (5, 7)
    assert not parsed.everyone


@pytest.mark.parametrize(
    ("role", "everyone"),
    [(Role.MEMBER, False), (Role.MODERATOR, True), (Role.ADMIN, True), (Role.OWNER, True)],
)
def test_everyone_and_here_need_a_moderator(role: Role, everyone: bool) -> None:
    assert parse("hey @everyone", role).everyone is everyone
    assert parse("@here look", role).everyone is everyone
    assert not parse("@everyones and @hereby", role).everyone


async def test_mentions_keep_only_users_who_can_see_the_channel(crew: Crew) -> None:
    w = crew.world
    text = (
        f"<@{crew.member2.user_id}> <@{crew.outsider.user_id}> <@123456789> "
        f"<@{crew.member2.user_id}> <@{crew.mod.user_id}>"
    )
    view = (await w.messages.post(crew.member, crew.general_id, text)).message
    assert view.message.mentions == (crew.member2.user_id, crew.mod.user_id)
    assert not view.message.mention_everyone
    (page,) = await w.messages.history(crew.owner, crew.general_id)
    assert page.message.mentions == (crew.member2.user_id, crew.mod.user_id)


async def test_everyone_by_a_member_is_plain_text(crew: Crew) -> None:
    w = crew.world
    plain = (await w.messages.post(crew.member, crew.general_id, "@everyone hi")).message
    loud = (await w.messages.post(crew.mod, crew.general_id, "@everyone hi")).message
    assert (plain.message.mention_everyone, loud.message.mention_everyone) == (False, True)
    assert (await state(crew, crew.member2)).mention_count == 1


async def test_a_reply_mentions_its_author_unless_told_not_to(crew: Crew) -> None:
    w = crew.world
    original = await post(crew, crew.member2, "question")
    loud = await w.messages.post(crew.member, crew.general_id, "answer", reply=Reply(original))
    quiet = await w.messages.post(
        crew.member, crew.general_id, "again", reply=Reply(original, mention_author=False)
    )
    assert loud.message.message.mentions == (crew.member2.user_id,)
    assert quiet.message.message.mentions == ()


async def test_an_edit_parses_mentions_again(crew: Crew) -> None:
    w = crew.world
    mid = await post(crew, crew.member, f"hi <@{crew.member2.user_id}>")
    assert (await state(crew, crew.member2)).mention_count == 1
    edited = await w.messages.edit(crew.member, crew.general_id, mid, f"hi <@{crew.mod.user_id}>")
    assert edited.message.mentions == (crew.mod.user_id,)
    assert (await state(crew, crew.member2)).mention_count == 0
    assert (await state(crew, crew.mod)).mention_count == 1


# --- read states and counts ------------------------------------------------------------------


async def test_counts_are_mentions_after_the_read_point_by_others(crew: Crew) -> None:
    w = crew.world
    me = crew.member2
    first = await post(crew, crew.member, f"<@{me.user_id}> one")
    await post(crew, crew.member, "no mention")
    await post(crew, crew.mod, "@everyone two")
    await post(crew, crew.mod, f"@here <@{me.user_id}> three (counted once)")
    assert await state(crew, me) == ReadState(crew.general_id, None, 3)
    await w.read_states.ack(me, crew.general_id, first)
    assert await state(crew, me) == ReadState(crew.general_id, first, 2)


async def test_a_channel_never_read_has_no_read_point(crew: Crew) -> None:
    states = await crew.world.read_states.read_states(crew.member)
    assert [s.channel_id for s in states] == [crew.general_id]
    assert states == [ReadState(crew.general_id, None, 0)]
    assert await crew.world.read_states.read_states(crew.outsider) == []


async def test_posting_marks_the_channel_read_for_its_author(crew: Crew) -> None:
    w = crew.world
    await post(crew, crew.mod, f"<@{crew.member.user_id}> look")
    w.events.clear()
    mine = await post(crew, crew.member, "seen it")
    assert await state(crew, crew.member) == ReadState(crew.general_id, mine, 0)
    assert "MESSAGE_ACK" not in w.events.names()


async def test_acks_never_move_back(crew: Crew) -> None:
    w = crew.world
    old = await post(crew, crew.member, "old")
    new = await post(crew, crew.member, "new")
    await w.read_states.ack(crew.member2, crew.general_id, new)
    w.events.clear()
    await w.read_states.ack(crew.member2, crew.general_id, old)
    assert (await state(crew, crew.member2)).last_read_id == new
    assert w.events.events == []  # nothing moved: no MESSAGE_ACK


async def test_concurrent_acks_keep_the_newest(crew: Crew) -> None:
    w = crew.world
    ids = [await post(crew, crew.member, f"m{i}") for i in range(6)]
    await asyncio.gather(
        *(w.read_states.ack(crew.member2, crew.general_id, mid) for mid in reversed(ids))
    )
    assert (await state(crew, crew.member2)).last_read_id == ids[-1]


async def test_an_ack_sends_message_ack_to_the_users_own_topic(crew: Crew) -> None:
    w = crew.world
    first = await post(crew, crew.mod, f"<@{crew.member2.user_id}> a")
    await post(crew, crew.mod, f"<@{crew.member2.user_id}> b")
    w.events.clear()
    await w.read_states.ack(crew.member2, crew.general_id, first)
    (event,) = w.events.events
    assert event == MessageAcked(crew.member2.user_id, crew.general_id, first, 1)
    assert str(event.topic) == f"user:{crew.member2.user_id}"


async def test_acking_what_the_channel_does_not_have_is_404(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.owner, crew.server_id, "other")
    elsewhere = await post(crew, crew.member, "there", other.id)
    for target in (elsewhere, 987654321):
        await fails(
            w.read_states.ack(crew.member, crew.general_id, target), NotFound, "unknown_message"
        )
    mid = await post(crew, crew.member, "here")
    await fails(w.read_states.ack(crew.outsider, crew.general_id, mid), NotFound, "unknown_channel")
    assert w.db.tables.read_states.get((crew.outsider.user_id, crew.general_id)) is None


async def test_a_server_ack_reads_every_channel(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.owner, crew.server_id, "other")
    await w.channels.create(crew.owner, crew.server_id, "empty")
    a = await post(crew, crew.mod, f"<@{crew.member2.user_id}>")
    b = await post(crew, crew.mod, "@everyone", other.id)
    w.events.clear()
    await w.read_states.ack_server(crew.member2, crew.server_id)
    assert sorted(w.events.events, key=lambda e: e.channel_id) == sorted(  # type: ignore[attr-defined]
        [
            MessageAcked(crew.member2.user_id, crew.general_id, a, 0),
            MessageAcked(crew.member2.user_id, other.id, b, 0),
        ],
        key=lambda e: e.channel_id,
    )
    states = await w.read_states.read_states(crew.member2)
    assert {s.channel_id: s.mention_count for s in states} == {
        crew.general_id: 0,
        other.id: 0,
        states[-1].channel_id: 0,
    }
    await fails(w.read_states.ack_server(crew.outsider, crew.server_id), NotFound, "unknown_server")


async def test_a_deleted_mention_no_longer_counts(crew: Crew) -> None:
    w = crew.world
    mid = await post(crew, crew.mod, f"<@{crew.member2.user_id}>")
    assert (await state(crew, crew.member2)).mention_count == 1
    await w.messages.delete(crew.mod, crew.general_id, mid)
    assert (await state(crew, crew.member2)).mention_count == 0


async def test_everyone_before_joining_does_not_count(world: World) -> None:
    owner = await world.register("owner")
    server_id, general = await world.server(owner)
    await world.messages.post(owner, general, "@everyone before you came")
    world.clock.advance(timedelta(minutes=1))
    late = await world.register("late")
    await world.join(late, server_id, owner)
    world.clock.advance(timedelta(minutes=1))
    await world.messages.post(owner, general, "@everyone welcome")
    (found,) = await world.read_states.read_states(late)
    assert found == ReadState(general, None, 1)


async def test_ready_carries_read_states_and_settings(crew: Crew) -> None:
    w = crew.world
    mid = await post(crew, crew.mod, f"<@{crew.member2.user_id}>")
    await w.read_states.update_notification_settings(
        crew.member2, server_id=crew.server_id, level=NotificationLevel.MENTIONS
    )
    ready = await w.gateway.ready(crew.member2)
    assert ready.reads is not None
    assert ready.reads.read_states == [ReadState(crew.general_id, None, 1)]
    assert [s.level for s in ready.reads.notification_settings.servers] == [
        NotificationLevel.MENTIONS
    ]
    (snap,) = ready.servers
    assert snap.channels[0].last_message_id == mid


async def test_channels_carry_their_last_message_id(crew: Crew) -> None:
    w = crew.world
    assert (await w.channels.get(crew.member, crew.general_id)).last_message_id is None
    first = await post(crew, crew.member, "a")
    second = await post(crew, crew.member, "b")
    assert (await w.channels.get(crew.member, crew.general_id)).last_message_id == second
    await w.messages.delete(crew.member, crew.general_id, second)
    (channel,) = await w.channels.list_channels(crew.member, crew.server_id)
    assert channel.last_message_id == first


# --- notification settings -------------------------------------------------------------------


async def test_notification_settings_change_only_what_is_given(crew: Crew) -> None:
    w = crew.world
    me = crew.member
    until = datetime(2026, 1, 1, tzinfo=UTC)
    assert (await w.read_states.notification_settings(me)).servers == []
    server = await w.read_states.update_notification_settings(
        me, server_id=crew.server_id, muted_until=until
    )
    assert (server.level, server.muted_until) == (NotificationLevel.ALL, until)
    server = await w.read_states.update_notification_settings(
        me, server_id=crew.server_id, level=NotificationLevel.NOTHING
    )
    assert (server.level, server.muted_until) == (NotificationLevel.NOTHING, until)
    w.events.clear()
    channel = await w.read_states.update_notification_settings(
        me, channel_id=crew.general_id, level=NotificationLevel.MENTIONS
    )
    assert (channel.channel_id, channel.level, channel.muted_until) == (
        crew.general_id,
        NotificationLevel.MENTIONS,
        None,
    )
    (event,) = w.events.events
    assert event == NotificationSettingsUpdated(me.user_id, channel)
    channel = await w.read_states.update_notification_settings(
        me, channel_id=crew.general_id, level=None
    )
    assert channel.level is None  # follows the server again
    settings = await w.read_states.notification_settings(me)
    assert [s.server_id for s in settings.servers] == [crew.server_id]
    assert [s.channel_id for s in settings.channels] == [crew.general_id]
    # Another user sees nothing of it.
    assert (await w.read_states.notification_settings(crew.member2)).channels == []


async def test_notification_settings_refuse_bad_targets(crew: Crew) -> None:
    w = crew.world
    rs = w.read_states
    await fails(rs.update_notification_settings(crew.member), ValidationFailed, "validation_failed")
    await fails(
        rs.update_notification_settings(
            crew.member, server_id=crew.server_id, channel_id=crew.general_id
        ),
        ValidationFailed,
        "validation_failed",
    )
    await fails(
        rs.update_notification_settings(crew.member, server_id=crew.server_id, level=None),
        ValidationFailed,
        "validation_failed",
        field="level",
    )
    await fails(
        rs.update_notification_settings(
            crew.member, server_id=crew.server_id, muted_until=datetime(2026, 1, 1)
        ),
        ValidationFailed,
        "validation_failed",
        field="muted_until",
    )
    await fails(
        rs.update_notification_settings(crew.outsider, server_id=crew.server_id),
        NotFound,
        "unknown_server",
    )
    await fails(
        rs.update_notification_settings(crew.outsider, channel_id=crew.general_id),
        NotFound,
        "unknown_channel",
    )
    assert w.db.tables.notification_settings == {}


async def test_leaving_hides_the_servers_settings_and_read_states(crew: Crew) -> None:
    w = crew.world
    await w.read_states.update_notification_settings(
        crew.member, server_id=crew.server_id, level=NotificationLevel.NOTHING
    )
    await w.members.leave(crew.member, crew.server_id)
    assert (await w.read_states.notification_settings(crew.member)).servers == []
    assert await w.read_states.read_states(crew.member) == []


async def test_deleting_your_newest_message_keeps_your_read_point(crew: Crew) -> None:
    w = crew.world
    await post(crew, crew.mod, f"<@{crew.member.user_id}> before")
    mine = await post(crew, crew.member, "mine")
    assert w.db.tables.read_states.get((crew.member.user_id, crew.general_id)) is None
    await w.messages.delete(crew.mod, crew.general_id, mine)  # by a moderator, even
    assert await state(crew, crew.member) == ReadState(crew.general_id, mine, 0)


# --- DMs and group DMs -----------------------------------------------------------------------


async def test_in_a_dm_every_message_by_the_other_counts(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    first = await post(crew, crew.member, "hi", dm.id)
    await post(crew, crew.member, f"<@{crew.mod.user_id}> @everyone are you there", dm.id)
    view = (await w.messages.history(crew.member2, dm.id))[0]
    assert (view.message.mentions, view.message.mention_everyone) == ((), False)  # no outsider
    assert await state(crew, crew.member2, dm.id) == ReadState(dm.id, None, 2)
    assert await state(crew, crew.member, dm.id) == ReadState(dm.id, view.message.id, 0)
    w.events.clear()
    await w.read_states.ack(crew.member2, dm.id, first)
    assert w.events.events == [MessageAcked(crew.member2.user_id, dm.id, first, 1)]
    ready = await w.gateway.ready(crew.member2)
    assert ready.reads is not None
    assert ReadState(dm.id, first, 1) in ready.reads.read_states
    await fails(w.read_states.ack(crew.outsider, dm.id, first), NotFound, "unknown_channel")


async def test_a_group_dm_mentions_only_its_recipients(crew: Crew) -> None:
    w = crew.world
    group = await w.dms.create_group(crew.mod, [crew.mod2.user_id, crew.admin.user_id])
    text = f"<@{crew.admin.user_id}> <@{crew.owner.user_id}>"
    view = (await w.messages.post(crew.mod, group.id, text)).message
    assert view.message.mentions == (crew.admin.user_id,)  # the owner is not in it
    assert (await state(crew, crew.mod2, group.id)).mention_count == 1
    assert (await state(crew, crew.admin, group.id)).mention_count == 1


async def test_notification_settings_of_a_dm(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    setting = await w.read_states.update_notification_settings(
        crew.member, channel_id=dm.id, level=NotificationLevel.NOTHING
    )
    assert (setting.server_id, setting.channel_id, setting.level) == (
        None,
        dm.id,
        NotificationLevel.NOTHING,
    )
    assert (await w.read_states.notification_settings(crew.member)).channels == [setting]
    await fails(
        w.read_states.update_notification_settings(crew.outsider, channel_id=dm.id, level=None),
        NotFound,
        "unknown_channel",
    )

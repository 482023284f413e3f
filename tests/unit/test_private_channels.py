"""The channel-access rule (each kind of channel x each relation), DMs, group DMs, blocks."""

from __future__ import annotations

import pytest

from discord_core import limits
from discord_core.errors import (
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    TimedOut,
    ValidationFailed,
)
from discord_core.events import (
    MessageCreated,
    PrivateChannelAvailable,
    PrivateChannelUnavailable,
    PrivatePresenceUpdated,
    RecipientAdded,
    RecipientRemoved,
    Topic,
    UserBlocked,
)
from discord_core.model import ChannelType
from discord_core.usecases import Identity
from discord_core.usecases.access import channel_access, postable_channel

from .conftest import DAY, PASSWORD, Crew, World, fails

# --- the access rule --------------------------------------------------------------------------


async def relations(crew: Crew) -> dict[str, tuple[int, Identity]]:
    """A channel of each kind with the caller of each relation to it."""
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    g = await w.dms.create_group(crew.mod, [crew.mod2.user_id, crew.admin.user_id])
    await w.dms.remove_recipient(crew.mod, g.id, crew.admin.user_id)  # a former recipient
    return {
        "server channel, member": (crew.general_id, crew.member),
        "server channel, outsider": (crew.general_id, crew.outsider),
        "dm, recipient": (dm.id, crew.member2),
        "dm, server member who is not in it": (dm.id, crew.owner),
        "dm, stranger": (dm.id, crew.outsider),
        "group, recipient": (g.id, crew.mod2),
        "group, former recipient": (g.id, crew.admin),
        "group, stranger": (g.id, crew.outsider),
    }


READS = {
    "server channel, member",
    "dm, recipient",
    "group, recipient",
}


async def test_who_reads_which_channel(crew: Crew) -> None:
    for name, (channel_id, who) in (await relations(crew)).items():
        async with crew.world.deps.uow(read_only=True) as uow:
            if name in READS:
                access = await channel_access(uow, channel_id, who.user_id)
                assert access.channel.id == channel_id, name
            else:
                with pytest.raises(NotFound) as info:
                    await channel_access(uow, channel_id, who.user_id)
                assert info.value.code == "unknown_channel", name


async def test_events_of_a_channel_go_to_its_audience(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    async with w.deps.uow(read_only=True) as uow:
        assert (await channel_access(uow, dm.id, crew.member.user_id)).topic == Topic.channel(dm.id)
        server = await channel_access(uow, crew.general_id, crew.member.user_id)
        assert server.topic == Topic.server(crew.server_id)
    w.events.clear()
    await w.messages.post(crew.member, dm.id, "hi")
    [event] = [e for e in w.events.events if isinstance(e, MessageCreated)]
    assert event.topic == Topic.channel(dm.id) and event.server_id is None


async def test_blocked_dm_partners_read_but_cannot_post(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    await w.blocks.block(crew.member2, crew.member.user_id)
    now = w.clock.now()
    for who in (crew.member, crew.member2):
        async with w.deps.uow(read_only=True) as uow:
            await channel_access(uow, dm.id, who.user_id)
            with pytest.raises(Forbidden) as info:
                await postable_channel(uow, dm.id, who.user_id, now)
        assert info.value.code == "blocked"
    # In a server channel a block changes nothing.
    await w.messages.post(crew.member, crew.general_id, "still here")


async def test_a_timeout_is_a_server_channel_rule_only(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    await w.members.update(crew.mod, crew.server_id, crew.member.user_id, until=w.clock.now() + DAY)
    with pytest.raises(TimedOut):
        await w.messages.post(crew.member, crew.general_id, "x")
    await w.messages.post(crew.member, dm.id, "a DM is not the server's")


# --- DMs --------------------------------------------------------------------------------------


async def test_a_dm_is_opened_once_and_found_again_from_either_side(crew: Crew) -> None:
    w = crew.world
    first = await w.dms.open_dm(crew.member, crew.member2.user_id)
    assert first.created and first.channel.type is ChannelType.DM
    assert first.channel.server_id is None
    assert sorted(first.channel.recipient_ids) == sorted(
        [crew.member.user_id, crew.member2.user_id]
    )
    announced = [e for e in w.events.events if isinstance(e, PrivateChannelAvailable)]
    assert sorted(e.user_id for e in announced) == sorted(first.channel.recipient_ids)
    w.events.clear()
    again = await w.dms.open_dm(crew.member2, crew.member.user_id)
    assert not again.created and again.channel.id == first.channel.id
    assert [e for e in w.events.events if isinstance(e, PrivateChannelAvailable)] == []
    assert [c.id for c in await w.dms.list(crew.member)] == [first.channel.id]


async def test_a_dm_needs_a_shared_server_an_account_and_no_block(crew: Crew) -> None:
    w = crew.world
    await fails(w.dms.open_dm(crew.member, crew.outsider.user_id), NotFound, "unknown_user")
    await fails(w.dms.open_dm(crew.member, 424242), NotFound, "unknown_user")
    await fails(w.dms.open_dm(crew.member, crew.member.user_id), ValidationFailed, "self_dm")
    await w.blocks.block(crew.member, crew.member2.user_id)
    await fails(w.dms.open_dm(crew.member2, crew.member.user_id), Forbidden, "blocked")
    await fails(w.dms.open_dm(crew.member, crew.member2.user_id), Forbidden, "blocked")


async def test_opening_new_dms_spends_the_budget_but_reopening_is_free(crew: Crew) -> None:
    w = crew.world
    spent: list[int] = []

    async def admit() -> None:
        spent.append(1)
        if len(spent) > 1:
            raise RateLimited(30.0)

    await w.dms.open_dm(crew.member, crew.member2.user_id, admit=admit)
    await w.dms.open_dm(crew.member, crew.member2.user_id, admit=admit)
    assert len(spent) == 1
    with pytest.raises(RateLimited):
        await w.dms.open_dm(crew.member, crew.mod.user_id, admit=admit)
    assert [c.id for c in await w.dms.list(crew.member)] != []
    assert len(await w.dms.list(crew.member)) == 1


async def test_private_channels_sort_by_last_activity(crew: Crew) -> None:
    w = crew.world
    older = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    newer = (await w.dms.open_dm(crew.member, crew.mod.user_id)).channel
    assert [c.id for c in await w.dms.list(crew.member)] == [newer.id, older.id]
    await w.messages.post(crew.member2, older.id, "bump")
    assert [c.id for c in await w.dms.list(crew.member)] == [older.id, newer.id]


async def test_nobody_moderates_a_dm(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.owner, crew.member.user_id)).channel
    posted = await w.messages.post(crew.member, dm.id, "mine")
    mid = posted.message.message.id
    await fails(w.messages.delete(crew.owner, dm.id, mid), Forbidden, "missing_permission")
    await w.reactions.add(crew.owner, dm.id, mid, "👍")
    await fails(w.reactions.clear(crew.owner, dm.id, mid), Forbidden, "missing_permission")
    await w.pins.pin(crew.member, dm.id, mid)  # anyone in a DM pins
    assert [v.message.id for v in await w.pins.list(crew.owner, dm.id)] == [mid]
    assert w.db.tables.audit_log == {}
    await w.messages.delete(crew.member, dm.id, mid)


# --- group DMs --------------------------------------------------------------------------------


async def test_a_group_is_made_of_reachable_people_up_to_ten(world: World) -> None:
    people = [await world.register(f"p{i}") for i in range(limits.GROUP_DM_MAX_RECIPIENTS + 1)]
    server_id, _ = await world.server(people[0])
    for person in people[1:]:
        await world.join(person, server_id, people[0])
    owner, rest = people[0], [p.user_id for p in people[1:]]
    await fails(world.dms.create_group(owner, rest), LimitReached, "group_full")
    await fails(world.dms.create_group(owner, []), ValidationFailed, "validation_failed")
    await fails(
        world.dms.create_group(owner, [owner.user_id]), ValidationFailed, "validation_failed"
    )
    g = await world.dms.create_group(owner, rest[:-1], "ten")
    assert len(g.recipients) == limits.GROUP_DM_MAX_RECIPIENTS and g.owner_id == owner.user_id
    await fails(world.dms.add_recipient(owner, g.id, rest[-1]), LimitReached, "group_full")
    stranger = await world.register("stranger")
    await fails(world.dms.create_group(owner, [stranger.user_id]), NotFound, "unknown_user")


async def test_the_creator_adds_and_removes_and_anyone_leaves(crew: Crew) -> None:
    w = crew.world
    g = await w.dms.create_group(crew.mod, [crew.mod2.user_id])
    await fails(
        w.dms.add_recipient(crew.mod2, g.id, crew.member.user_id), Forbidden, "not_group_owner"
    )
    w.events.clear()
    await w.dms.add_recipient(crew.mod, g.id, crew.member.user_id)
    assert [type(e) for e in w.events.events] == [RecipientAdded, PrivateChannelAvailable]
    await w.dms.add_recipient(crew.mod, g.id, crew.member.user_id)  # again: nothing
    w.events.clear()
    await w.dms.remove_recipient(crew.mod, g.id, crew.member.user_id)
    [removed, gone] = w.events.events
    assert isinstance(removed, RecipientRemoved) and removed.effect is not None
    assert removed.effect.leave == Topic.channel(g.id) and removed.effect.silent
    assert isinstance(gone, PrivateChannelUnavailable) and gone.user_id == crew.member.user_id
    await fails(w.messages.post(crew.member, g.id, "x"), NotFound, "unknown_channel")
    await w.dms.leave(crew.mod, g.id)
    left = await w.channels.get(crew.mod2, g.id)
    assert left.owner_id == crew.mod2.user_id and left.recipient_ids == [crew.mod2.user_id]
    await w.dms.leave(crew.mod2, g.id)
    assert g.id not in w.db.tables.channels


async def test_deleting_an_account_leaves_its_groups(crew: Crew) -> None:
    w = crew.world
    g = await w.dms.create_group(crew.member, [crew.member2.user_id, crew.mod.user_id])
    dm = (await w.dms.open_dm(crew.member, crew.mod.user_id)).channel
    await w.users.delete_me(crew.member, PASSWORD)
    group_now = await w.channels.get(crew.mod, g.id)
    assert crew.member.user_id not in group_now.recipient_ids
    assert group_now.owner_id in {crew.member2.user_id, crew.mod.user_id}
    assert crew.member.user_id in (await w.channels.get(crew.mod, dm.id)).recipient_ids


# --- blocks -----------------------------------------------------------------------------------


async def test_blocks_are_idempotent_and_listed(crew: Crew) -> None:
    w = crew.world
    await w.blocks.block(crew.member, crew.outsider.user_id)  # no shared server needed
    await w.blocks.block(crew.member, crew.outsider.user_id)
    assert len([e for e in w.events.events if isinstance(e, UserBlocked)]) == 1
    assert [u.id for u in await w.blocks.list(crew.member)] == [crew.outsider.user_id]
    await fails(w.blocks.block(crew.member, crew.member.user_id), ValidationFailed, "self_block")
    await fails(w.blocks.block(crew.member, 424242), NotFound, "unknown_user")
    await w.blocks.unblock(crew.member, crew.outsider.user_id)
    await w.blocks.unblock(crew.member, crew.outsider.user_id)
    assert await w.blocks.list(crew.member) == []


async def test_dm_contacts_see_each_others_presence(crew: Crew) -> None:
    w = crew.world
    dm = (await w.dms.open_dm(crew.member, crew.member2.user_id)).channel
    ready = await w.gateway.ready(crew.member2)
    assert [c.id for c in ready.private_channels] == [dm.id]
    assert Topic.channel(dm.id) in ready.topics
    w.events.clear()
    await w.gateway.session_started(crew.member2.user_id, "s1", ready)
    private = [e for e in w.events.events if isinstance(e, PrivatePresenceUpdated)]
    assert [(e.channel_id, e.user_id, e.presence.value) for e in private] == [
        (dm.id, crew.member2.user_id, "online")
    ]
    assert private[0].topic == Topic.channel(dm.id)

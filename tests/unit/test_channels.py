"""Channels: list, read, create (with or without a position), update, reorder, delete."""

from __future__ import annotations

import pytest

from discord_core import limits
from discord_core.errors import Forbidden, LimitReached, NotFound, ValidationFailed
from discord_core.events import ChannelCreated, ChannelDeleted, ChannelUpdated
from discord_core.model import Channel

from .conftest import Crew, fails


async def layout(crew: Crew) -> list[tuple[str, int]]:
    channels = await crew.world.channels.list_channels(crew.member, crew.server_id)
    return [(c.name, c.position) for c in channels]


async def four_channels(crew: Crew) -> list[Channel]:
    """general(0), b(1), c(2), d(3); events cleared."""
    w = crew.world
    for name in ("b", "c", "d"):
        await w.channels.create(crew.admin, crew.server_id, name)
    w.events.clear()
    return await w.channels.list_channels(crew.member, crew.server_id)


async def test_create_appends_at_the_end(crew: Crew) -> None:
    w = crew.world
    channel = await w.channels.create(crew.admin, crew.server_id, "  random ", topic="Line 1\nL2")
    assert (channel.name, channel.topic, channel.position) == ("random", "Line 1\nL2", 1)
    assert channel.server_id == crew.server_id
    assert channel.created_at == w.clock.now()
    assert w.events.events == [ChannelCreated(crew.server_id, channel)]
    assert w.events.routed() == [("CHANNEL_CREATE", f"server:{crew.server_id}")]
    assert await layout(crew) == [("general", 0), ("random", 1)]
    assert await w.channels.get(crew.member, channel.id) == channel


async def test_create_at_a_position_shifts_the_others(crew: Crew) -> None:
    w = crew.world
    await four_channels(crew)
    channel = await w.channels.create(crew.admin, crew.server_id, "new", position=1)
    assert channel.position == 1
    assert await layout(crew) == [("general", 0), ("new", 1), ("b", 2), ("c", 3), ("d", 4)]
    assert w.events.names() == ["CHANNEL_CREATE"] + ["CHANNEL_UPDATE"] * 3
    assert w.events.events[0] == ChannelCreated(crew.server_id, channel)
    moved = [
        (e.channel.name, e.channel.position)
        for e in w.events.events[1:]
        if isinstance(e, ChannelUpdated)
    ]
    assert moved == [("b", 2), ("c", 3), ("d", 4)]


async def test_create_at_position_zero(crew: Crew) -> None:
    w = crew.world
    channel = await w.channels.create(crew.admin, crew.server_id, "top", position=0)
    assert channel.position == 0
    assert await layout(crew) == [("top", 0), ("general", 1)]
    assert w.events.names() == ["CHANNEL_CREATE", "CHANNEL_UPDATE"]


@pytest.mark.parametrize("position", [4, 5, limits.CHANNELS_PER_SERVER_MAX])
async def test_create_at_or_past_the_end_appends(crew: Crew, position: int) -> None:
    w = crew.world
    await four_channels(crew)
    channel = await w.channels.create(crew.admin, crew.server_id, "last", position=position)
    assert channel.position == 4
    assert w.events.names() == ["CHANNEL_CREATE"]
    assert (await layout(crew))[-1] == ("last", 4)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": " \t "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "ok", "topic": "x" * 1025}, "topic"),
        ({"name": "ok", "topic": "nul\x00"}, "topic"),
        ({"name": "ok", "position": -1}, "position"),
        ({"name": "ok", "position": limits.CHANNELS_PER_SERVER_MAX + 1}, "position"),
    ],
)
async def test_create_validates(crew: Crew, kwargs: dict[str, object], field: str) -> None:
    w = crew.world
    await fails(
        w.channels.create(crew.admin, crew.server_id, **kwargs),  # type: ignore[arg-type]
        ValidationFailed,
        "validation_failed",
        field=field,
    )
    assert await layout(crew) == [("general", 0)]
    assert w.events.events == []


async def test_edges_of_names_and_topics_are_accepted(crew: Crew) -> None:
    w = crew.world
    longest = await w.channels.create(crew.admin, crew.server_id, "x" * 100, topic="t" * 1024)
    assert (len(longest.name), len(longest.topic)) == (100, 1024)
    shortest = await w.channels.create(crew.admin, crew.server_id, "x")
    assert shortest.name == "x"


async def test_a_server_may_have_at_most_500_channels(crew: Crew) -> None:
    w = crew.world
    now = w.clock.now()
    w.db.seed(
        *(
            Channel(700_000 + i, crew.server_id, f"c{i}", "", i + 1, now)
            for i in range(limits.CHANNELS_PER_SERVER_MAX - 2)
        )
    )
    last = await w.channels.create(crew.admin, crew.server_id, "the 500th")
    assert last.position == 499
    w.events.clear()
    await fails(
        w.channels.create(crew.admin, crew.server_id, "501st"), LimitReached, "too_many_channels"
    )
    await fails(
        w.channels.create(crew.admin, crew.server_id, "501st", position=0),
        LimitReached,
        "too_many_channels",
    )
    assert w.events.events == []
    await w.channels.delete(crew.admin, last.id)
    await w.channels.create(crew.admin, crew.server_id, "fits again")


@pytest.mark.parametrize(
    ("moved", "to", "order", "updated"),
    [
        ("d", 1, ["general", "d", "b", "c"], ["d", "b", "c"]),
        ("general", 3, ["b", "c", "d", "general"], ["b", "c", "d", "general"]),
        ("b", 0, ["b", "general", "c", "d"], ["b", "general"]),
        ("c", 2, ["general", "b", "c", "d"], ["c"]),  # no move: only the channel itself
        ("b", 99, ["general", "c", "d", "b"], ["c", "d", "b"]),  # clamped to the end
    ],
)
async def test_reorder_renumbers_and_announces_the_moved_channels(
    crew: Crew, moved: str, to: int, order: list[str], updated: list[str]
) -> None:
    w = crew.world
    by_name = {c.name: c for c in await four_channels(crew)}
    channel = await w.channels.update(crew.admin, by_name[moved].id, position=to)
    assert channel.position == order.index(moved)
    assert await layout(crew) == [(name, i) for i, name in enumerate(order)]
    assert w.events.names() == ["CHANNEL_UPDATE"] * len(updated)
    announced = [e.channel for e in w.events.events if isinstance(e, ChannelUpdated)]
    assert [c.name for c in announced] == updated
    assert all(c.position == order.index(c.name) for c in announced)


async def test_update_name_and_topic(crew: Crew) -> None:
    w = crew.world
    channel = await w.channels.update(crew.admin, crew.general_id, name=" lobby ", topic="Say hi")
    assert (channel.name, channel.topic, channel.position) == ("lobby", "Say hi", 0)
    assert w.events.events == [ChannelUpdated(crew.server_id, channel)]
    assert await w.channels.get(crew.member, crew.general_id) == channel
    cleared = await w.channels.update(crew.admin, crew.general_id, topic="")
    assert (cleared.name, cleared.topic) == ("lobby", "")


async def test_update_name_and_position_together(crew: Crew) -> None:
    w = crew.world
    by_name = {c.name: c for c in await four_channels(crew)}
    await w.channels.update(crew.admin, by_name["d"].id, name="dd", position=0)
    assert await layout(crew) == [("dd", 0), ("general", 1), ("b", 2), ("c", 3)]


async def test_update_refusals_change_nothing(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.channels.update(crew.mod, crew.general_id, name="mine"), Forbidden, "missing_permission"
    )
    await fails(
        w.channels.update(crew.admin, crew.general_id, name=""),
        ValidationFailed,
        "validation_failed",
        field="name",
    )
    await fails(
        w.channels.update(crew.admin, crew.general_id, position=-1),
        ValidationFailed,
        "validation_failed",
        field="position",
    )
    await fails(
        w.channels.update(crew.outsider, crew.general_id, name="x"), NotFound, "unknown_channel"
    )
    assert await layout(crew) == [("general", 0)]
    assert w.events.events == []


async def test_delete_removes_the_channel_and_its_messages(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "bye", nonce="n1")
    general = await w.channels.get(crew.member, crew.general_id)
    w.events.clear()
    await w.channels.delete(crew.admin, crew.general_id)
    assert w.events.events == [ChannelDeleted(crew.server_id, general)]
    assert w.events.routed() == [("CHANNEL_DELETE", f"server:{crew.server_id}")]
    await fails(w.channels.get(crew.member, crew.general_id), NotFound, "unknown_channel")
    await fails(w.messages.history(crew.member, crew.general_id), NotFound, "unknown_channel")
    assert await layout(crew) == []
    # the nonce went with the message: a resend in a new channel is a new message
    other = await w.channels.create(crew.admin, crew.server_id, "other")
    again = await w.messages.post(crew.member, other.id, "bye", nonce="n1")
    assert again.created
    assert again.message.message.id != posted.message.message.id


async def test_delete_by_a_moderator_is_forbidden(crew: Crew) -> None:
    w = crew.world
    await fails(w.channels.delete(crew.mod, crew.general_id), Forbidden, "missing_permission")
    assert await layout(crew) == [("general", 0)]
    assert w.events.events == []


async def test_reorder_after_a_delete_closes_the_gap(crew: Crew) -> None:
    w = crew.world
    by_name = {c.name: c for c in await four_channels(crew)}
    await w.channels.delete(crew.admin, by_name["b"].id)
    await w.channels.update(crew.admin, by_name["d"].id, position=0)
    assert await layout(crew) == [("d", 0), ("general", 1), ("c", 2)]


async def test_a_channel_appended_after_a_delete_comes_after_every_other(crew: Crew) -> None:
    w = crew.world
    by_name = {c.name: c for c in await four_channels(crew)}
    await w.channels.delete(crew.admin, by_name["general"].id)
    new = await w.channels.create(crew.admin, crew.server_id, "e")
    positions = [p for _, p in await layout(crew)]
    assert [name for name, _ in await layout(crew)] == ["b", "c", "d", "e"]
    # clients sort by position: no two channels may share one
    assert len(set(positions)) == len(positions)
    assert new.position == max(positions)


async def test_list_and_get_are_for_members(crew: Crew) -> None:
    w = crew.world
    await fails(w.channels.list_channels(crew.outsider, crew.server_id), NotFound, "unknown_server")
    existing = await fails(
        w.channels.get(crew.outsider, crew.general_id), NotFound, "unknown_channel"
    )
    missing = await fails(w.channels.get(crew.member, 31337), NotFound, "unknown_channel")
    assert existing.message == missing.message

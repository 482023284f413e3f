"""Replies, reactions and pins: the rules, their events, and what pages show."""

from __future__ import annotations

import asyncio

import pytest

from discord_core import limits
from discord_core.errors import Forbidden, NotFound, ValidationFailed
from discord_core.events import (
    ChannelPinsUpdated,
    MessageUpdated,
    ReactionAdded,
    ReactionEmojiCleared,
    ReactionRemoved,
    ReactionsCleared,
)
from discord_core.model import ReactionCount
from discord_core.search import SearchQuery
from discord_core.usecases import Reply, SearchRequest

from .conftest import Crew, fails
from .fakes import FakeEmojiCatalog

EMOJI = sorted(FakeEmojiCatalog.KNOWN)


async def message(crew: Crew, text: str = "hi") -> int:
    posted = await crew.world.messages.post(crew.member, crew.general_id, text)
    crew.world.events.clear()
    return posted.message.message.id


# --- replies ---------------------------------------------------------------------------------


async def test_a_reply_names_and_shows_the_original(crew: Crew) -> None:
    w = crew.world
    original = await message(crew, "question?")
    reply = await w.messages.post(crew.mod, crew.general_id, "answer", reply=Reply(original))
    view = reply.message
    assert view.message.reference_id == original
    assert view.referenced is not None and view.referenced.message.content == "question?"
    assert view.referenced.author_username == "member"
    page = await w.messages.history(crew.owner, crew.general_id)
    assert page[0].referenced is not None and page[0].referenced.message.id == original
    assert page[1].referenced is None and page[1].message.reference_id is None
    # The original is deleted: the reply keeps its reference, the quoted message is gone.
    await w.messages.delete(crew.member, crew.general_id, original)
    (only,) = await w.messages.history(crew.owner, crew.general_id)
    assert only.message.reference_id == original and only.referenced is None


async def test_a_reply_to_a_message_elsewhere_is_refused_or_dropped(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.owner, crew.server_id, "other")
    elsewhere = (await w.messages.post(crew.member, other.id, "there")).message.message.id
    for target in (elsewhere, 123456789):
        await fails(
            w.messages.post(crew.member, crew.general_id, "x", reply=Reply(target)),
            ValidationFailed,
            "unknown_message_reference",
            field="message_reference",
        )
        posted = await w.messages.post(
            crew.member, crew.general_id, "y", reply=Reply(target, fail_if_not_exists=False)
        )
        assert posted.message.message.reference_id is None
    await fails(
        w.messages.post(crew.member, crew.general_id, "x", reply=Reply(0)),
        ValidationFailed,
        "validation_failed",
        field="message_reference",
    )


# --- reactions -------------------------------------------------------------------------------


async def test_reactions_count_and_say_whose(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    await w.reactions.add(crew.member, crew.general_id, mid, "👍")
    w.clock.advance(seconds=1)
    await w.reactions.add(crew.mod, crew.general_id, mid, "🎉")
    await w.reactions.add(crew.mod, crew.general_id, mid, "👍")
    await w.reactions.add(crew.mod, crew.general_id, mid, "👍")  # idempotent: no event
    assert [type(e) for e in w.events.events] == [ReactionAdded] * 3
    assert w.events.events[0] == ReactionAdded(
        crew.server_id, crew.general_id, mid, crew.member.user_id, "👍"
    )
    (seen,) = await w.messages.history(crew.member, crew.general_id)
    assert seen.reactions == [ReactionCount("👍", 2, True), ReactionCount("🎉", 1, False)]
    got = await w.messages.get(crew.owner, crew.general_id, mid)
    assert got.reactions == [ReactionCount("👍", 2, False), ReactionCount("🎉", 1, False)]
    users = await w.reactions.users(crew.owner, crew.general_id, mid, "👍")
    assert [u.user_id for u in users] == sorted([crew.member.user_id, crew.mod.user_id])
    page = await w.reactions.users(crew.owner, crew.general_id, mid, "👍", after=users[0].user_id)
    assert [u.user_id for u in page] == [users[1].user_id]
    assert await w.reactions.users(crew.owner, crew.general_id, mid, "🔥") == []
    w.events.clear()
    await w.reactions.remove(crew.member, crew.general_id, mid, "👍")
    await w.reactions.remove(crew.member, crew.general_id, mid, "👍")  # not there: no event
    assert w.events.events == [
        ReactionRemoved(crew.server_id, crew.general_id, mid, crew.member.user_id, "👍")
    ]
    assert w.events.routed() == [("MESSAGE_REACTION_REMOVE", f"server:{crew.server_id}")]


@pytest.mark.parametrize("emoji", ["", "x", "👍👍", " 👍", "a" * 40, "\x00", "\ud800", ":+1:"])
async def test_only_one_known_emoji_is_a_reaction(crew: Crew, emoji: str) -> None:
    mid = await message(crew)
    await fails(
        crew.world.reactions.add(crew.member, crew.general_id, mid, emoji),
        ValidationFailed,
        "unknown_emoji",
        field="emoji",
    )


async def test_at_most_20_distinct_emoji_per_message(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    for emoji in EMOJI[: limits.REACTIONS_PER_MESSAGE_MAX]:
        await w.reactions.add(crew.member, crew.general_id, mid, emoji)
    await fails(
        w.reactions.add(crew.member, crew.general_id, mid, EMOJI[20]),
        ValidationFailed,
        "max_reactions",
    )
    # One already there can still be added by someone else.
    await w.reactions.add(crew.mod, crew.general_id, mid, EMOJI[0])
    (seen,) = await w.messages.history(crew.mod, crew.general_id)
    assert seen.reactions is not None and len(seen.reactions) == 20
    assert seen.reactions[0] == ReactionCount(EMOJI[0], 2, True)


async def test_concurrent_new_emoji_never_pass_20(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    for emoji in EMOJI[:18]:
        await w.reactions.add(crew.member, crew.general_id, mid, emoji)
    results = await asyncio.gather(
        *(w.reactions.add(crew.mod, crew.general_id, mid, e) for e in EMOJI[18:30]),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 2
    assert all(isinstance(r, ValidationFailed) for r in results if r is not None)
    (seen,) = await w.messages.history(crew.mod, crew.general_id)
    assert seen.reactions is not None and len(seen.reactions) == 20


async def test_strangers_and_wrong_channels_learn_nothing(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    other = await w.channels.create(crew.owner, crew.server_id, "other")
    w.events.clear()
    await fails(
        w.reactions.add(crew.outsider, crew.general_id, mid, "👍"), NotFound, "unknown_channel"
    )
    await fails(w.reactions.add(crew.member, other.id, mid, "👍"), NotFound, "unknown_message")
    await fails(w.reactions.users(crew.member, other.id, mid, "👍"), NotFound, "unknown_message")
    await fails(w.pins.pin(crew.mod, other.id, mid), NotFound, "unknown_message")
    await fails(w.pins.list(crew.outsider, crew.general_id), NotFound, "unknown_channel")
    assert w.events.events == []


async def test_moderators_remove_others_reactions(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    for who in (crew.member, crew.member2):
        await w.reactions.add(who, crew.general_id, mid, "👍")
        await w.reactions.add(who, crew.general_id, mid, "🔥")
    await fails(
        w.reactions.remove(crew.member2, crew.general_id, mid, "👍", crew.member.user_id),
        Forbidden,
        "missing_permission",
    )
    await fails(
        w.reactions.clear(crew.member, crew.general_id, mid), Forbidden, "missing_permission"
    )
    w.events.clear()
    await w.reactions.remove(crew.mod, crew.general_id, mid, "👍", crew.member.user_id)
    await w.reactions.clear(crew.mod, crew.general_id, mid, "🔥")
    await w.reactions.clear(crew.mod, crew.general_id, mid, "🔥")  # nothing left: no event
    assert w.events.events == [
        ReactionRemoved(crew.server_id, crew.general_id, mid, crew.member.user_id, "👍"),
        ReactionEmojiCleared(crew.server_id, crew.general_id, mid, "🔥"),
    ]
    await w.reactions.clear(crew.mod, crew.general_id, mid)
    assert w.events.events[-1] == ReactionsCleared(crew.server_id, crew.general_id, mid)
    (seen,) = await w.messages.history(crew.member, crew.general_id)
    assert seen.reactions == []


async def test_reactions_go_with_their_message(crew: Crew) -> None:
    w = crew.world
    mid = await message(crew)
    await w.reactions.add(crew.member, crew.general_id, mid, "👍")
    await w.messages.delete(crew.member, crew.general_id, mid)
    assert w.db.tables.reactions == {}
    await fails(
        w.reactions.add(crew.member, crew.general_id, mid, "👍"), NotFound, "unknown_message"
    )


# --- pins ------------------------------------------------------------------------------------


async def test_pin_and_unpin(crew: Crew) -> None:
    w = crew.world
    first, second = await message(crew, "a"), await message(crew, "b")
    await fails(w.pins.pin(crew.member, crew.general_id, first), Forbidden, "missing_permission")
    t1 = w.clock.now()
    await w.pins.pin(crew.mod, crew.general_id, first)
    w.clock.advance(seconds=5)
    await w.pins.pin(crew.mod, crew.general_id, second)
    await w.pins.pin(crew.mod, crew.general_id, second)  # already pinned: no event
    names = [e.name for e in w.events.events]
    assert names == ["MESSAGE_UPDATE", "CHANNEL_PINS_UPDATE"] * 2
    update = w.events.events[0]
    assert isinstance(update, MessageUpdated) and update.message.message.pinned_at == t1
    pinned = await w.pins.list(crew.member, crew.general_id)
    assert [v.message.id for v in pinned] == [second, first]
    w.events.clear()
    await w.pins.unpin(crew.mod, crew.general_id, second)
    assert w.events.events[-1] == ChannelPinsUpdated(crew.server_id, crew.general_id, t1)
    await w.pins.unpin(crew.mod, crew.general_id, first)
    assert w.events.events[-1] == ChannelPinsUpdated(crew.server_id, crew.general_id, None)
    assert await w.pins.list(crew.member, crew.general_id) == []


async def test_at_most_50_pins_per_channel_even_concurrently(crew: Crew) -> None:
    w = crew.world
    ids = [await message(crew, f"m{i}") for i in range(limits.PINS_PER_CHANNEL_MAX + 5)]
    for mid in ids[:45]:
        await w.pins.pin(crew.mod, crew.general_id, mid)
    results = await asyncio.gather(
        *(w.pins.pin(crew.mod, crew.general_id, mid) for mid in ids[45:]), return_exceptions=True
    )
    assert sum(r is None for r in results) == 5
    errors = [r for r in results if r is not None]
    assert all(isinstance(e, ValidationFailed) and e.code == "max_pins" for e in errors)
    assert len(await w.pins.list(crew.member, crew.general_id)) == 50


async def test_search_finds_pinned_messages(crew: Crew) -> None:
    w = crew.world
    a, b = await message(crew, "alpha one"), await message(crew, "alpha two")
    await w.pins.pin(crew.mod, crew.general_id, a)
    found = await w.search.in_channel(
        crew.member, crew.general_id, SearchRequest("alpha", pinned=True)
    )
    assert [h.message.message.id for h in found.hits] == [a]
    found = await w.search.in_server(crew.member, crew.server_id, SearchRequest(pinned=False))
    assert [h.message.message.id for h in found.hits] == [b]
    assert SearchQuery(server_id=1, channel_ids=None).pinned is None

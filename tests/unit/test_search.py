"""Message search use cases: scope and access, filters, validation, paging, sorting."""

from __future__ import annotations

import pytest

from discord_core.errors import NotFound, ValidationFailed
from discord_core.model import Message
from discord_core.search import COUNT_MAX, LIMIT_MAX, OFFSET_MAX
from discord_core.usecases import Identity, SearchRequest, SearchResults

from .conftest import Crew, World, fails


async def post(crew: Crew, content: str, who: Identity | None = None, channel: int = 0) -> int:
    posted = await crew.world.messages.post(who or crew.member, channel or crew.general_id, content)
    return posted.message.message.id


def ids(results: SearchResults) -> list[int]:
    return [hit.message.message.id for hit in results.hits]


async def search(crew: Crew, who: Identity | None = None, **asked: object) -> SearchResults:
    return await crew.world.search.in_server(
        who or crew.member,
        crew.server_id,
        SearchRequest(**asked),  # type: ignore[arg-type]
    )


async def test_finds_words_anded_newest_first(crew: Crew) -> None:
    a = await post(crew, "the quick brown fox")
    await post(crew, "a lazy dog")
    c = await post(crew, "Quick! A brown bear")
    found = await search(crew, content="brown quick")
    assert ids(found) == [c, a]
    assert (found.total, found.exact) == (2, True)
    assert [h.highlights for h in found.hits] == [[(0, 5), (9, 14)], [(4, 9), (10, 15)]]


async def test_phrases_and_exclusions(crew: Crew) -> None:
    a = await post(crew, "new york city")
    b = await post(crew, "york, new!")
    c = await post(crew, "new york is not old york")
    assert ids(await search(crew, content='"new york"')) == [c, a]
    assert ids(await search(crew, content="york -old")) == [b, a]
    assert ids(await search(crew, content='york -"new york"')) == [b]
    assert ids(await search(crew, content="-city")) == [c, b]


async def test_empty_search_lists_everything_readable(crew: Crew) -> None:
    a = await post(crew, "one")
    b = await post(crew, "two")
    found = await search(crew)
    assert ids(found) == [b, a]
    assert all(hit.highlights == [] for hit in found.hits)


async def test_non_members_learn_nothing(crew: Crew) -> None:
    await post(crew, "secret")
    w = crew.world
    await fails(
        w.search.in_server(crew.outsider, crew.server_id, SearchRequest(content="secret")),
        NotFound,
        "unknown_server",
    )
    await fails(
        w.search.in_server(crew.outsider, 999_999, SearchRequest()), NotFound, "unknown_server"
    )
    await fails(
        w.search.in_channel(crew.outsider, crew.general_id, SearchRequest()),
        NotFound,
        "unknown_channel",
    )


async def test_other_servers_messages_are_never_found(crew: Crew) -> None:
    w = crew.world
    other_server, other_channel = await w.server(crew.outsider, "Elsewhere")
    await w.messages.post(crew.outsider, other_channel, "shared word")
    mine = await post(crew, "shared word")
    assert ids(await search(crew, content="shared")) == [mine]
    # Naming the other server's channel does not widen the search: it is unknown here.
    await fails(
        search(crew, content="shared", channel_ids=[other_channel]), NotFound, "unknown_channel"
    )
    await fails(
        w.search.in_server(crew.member, other_server, SearchRequest()), NotFound, "unknown_server"
    )


async def test_channel_filters_and_the_channel_route(crew: Crew) -> None:
    w = crew.world
    random = await w.channels.create(crew.admin, crew.server_id, "random")
    a = await post(crew, "hello general")
    b = await post(crew, "hello random", channel=random.id)
    assert ids(await search(crew, content="hello")) == [b, a]
    assert ids(await search(crew, content="hello", channel_ids=[random.id])) == [b]
    both = await search(crew, content="hello", channel_ids=[random.id, crew.general_id])
    assert ids(both) == [b, a]
    in_channel = await w.search.in_channel(crew.member, random.id, SearchRequest(content="hello"))
    assert ids(in_channel) == [b]
    await fails(
        w.search.in_channel(crew.member, random.id, SearchRequest(channel_ids=[crew.general_id])),
        ValidationFailed,
        "validation_failed",
    )


async def test_author_mentions_link_and_id_range(crew: Crew) -> None:
    a = await post(crew, "look https://example.com/a", who=crew.mod)
    b = await post(crew, f"hey <@{crew.admin.user_id}> look", who=crew.member)
    c = await post(crew, "look at example.com", who=crew.member)
    assert ids(await search(crew, content="look", author_ids=[crew.member.user_id])) == [c, b]
    both = await search(crew, author_ids=[crew.member.user_id, crew.mod.user_id])
    assert ids(both) == [c, b, a]
    assert ids(await search(crew, mentions=[crew.admin.user_id])) == [b]
    assert ids(await search(crew, mentions=[crew.owner.user_id])) == []
    assert ids(await search(crew, has=["link"])) == [a]
    assert ids(await search(crew, content="look", before=c)) == [b, a]
    assert ids(await search(crew, content="look", after=a)) == [c, b]
    assert ids(await search(crew, content="look", after=a, before=c)) == [b]


@pytest.mark.parametrize(
    ("asked", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": LIMIT_MAX + 1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": OFFSET_MAX + 1}, "offset"),
        ({"sort": "oldest"}, "sort"),
        ({"has": ["video"]}, "has"),
        ({"author_ids": [0]}, "author_id"),
        ({"author_ids": [2**63]}, "author_id"),
        ({"channel_ids": [-5]}, "channel_id"),
        ({"mentions": [2**64]}, "mentions"),
        ({"before": 0}, "before"),
        ({"after": 2**63}, "after"),
        ({"author_ids": list(range(1, 27))}, "author_id"),
        ({"content": "***"}, "content"),
        ({"content": "x" * 1025}, "content"),
    ],
)
async def test_bad_input_is_a_clear_400_before_any_lookup(
    crew: Crew, asked: dict[str, object], field: str
) -> None:
    error = await fails(search(crew, **asked), ValidationFailed, "validation_failed")
    assert error.field == field
    # Validation happens before the database is asked anything, even by a non-member.
    await fails(search(crew, who=crew.outsider, **asked), ValidationFailed, "validation_failed")


async def test_limit_offset_and_relevance(crew: Crew) -> None:
    posted = [await post(crew, f"cat number {i}") for i in range(30)]
    newest = list(reversed(posted))
    first = await search(crew, content="cat")
    assert ids(first) == newest[:25] and first.total == 30
    assert ids(await search(crew, content="cat", offset=25)) == newest[25:]
    assert ids(await search(crew, content="cat", limit=3, offset=5)) == newest[5:8]
    assert ids(await search(crew, content="cat", offset=30)) == []
    best = await post(crew, "cat cat")
    ranked = await search(crew, content="cat", sort="relevance", limit=2)
    assert ids(ranked) == [best, newest[0]]
    # Without words to rank by, relevance is newest first.
    assert ids(await search(crew, sort="relevance", limit=1)) == [best]


async def test_edits_and_deletes_are_reflected_at_once(crew: Crew) -> None:
    w = crew.world
    a = await post(crew, "original words")
    assert ids(await search(crew, content="original")) == [a]
    await w.messages.edit(crew.member, crew.general_id, a, "replaced text")
    assert ids(await search(crew, content="original")) == []
    assert ids(await search(crew, content="replaced")) == [a]
    await w.messages.delete(crew.member, crew.general_id, a)
    assert ids(await search(crew, content="replaced")) == []


async def test_total_stops_at_count_max(world: World, crew: Crew) -> None:
    author = crew.member.user_id
    start = world.clock.now()
    world.db.seed(
        *(
            Message(10**6 + i, crew.general_id, crew.server_id, author, "many", start)
            for i in range(COUNT_MAX + 2)
        )
    )
    found = await search(crew, content="many", offset=COUNT_MAX)
    assert (found.total, found.exact) == (COUNT_MAX, False)
    assert len(found.hits) == 2


async def test_searches_read_in_a_read_only_unit_of_work(world: World, crew: Crew) -> None:
    await post(crew, "x")
    world.fakes.uow.created.clear()
    await search(crew, content="x")
    await world.search.in_channel(crew.member, crew.general_id, SearchRequest(content="x"))
    assert world.fakes.uow.read_only_flags == [True, True]

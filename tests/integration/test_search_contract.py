"""The search index contract (`discord_core.ports.MessageSearchIndex`), one suite run on every
adapter: the in-memory fake (the reference), SQLite FTS5 and PostgreSQL full-text search.

Messages are written through the message repository exactly as the use cases write them, and
searched through `uow.search`: the index must follow every insert, edit and delete by itself.
Beyond the hand-written cases, `test_same_answers_as_the_reference` runs a few hundred
generated queries (words with and without diacritics, other scripts, phrases, exclusions,
filters) over a generated corpus and compares every answer with the reference semantics.
"""

# ruff: noqa: RUF001  (text in many scripts is the point of these tests)

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.sql.database import Database, sqlite_url_for
from discord_core.model import Channel, Member, Message, Role, Server, User, UserStatus
from discord_core.ports import UnitOfWorkFactory
from discord_core.search import (
    Has,
    SearchQuery,
    SearchSort,
    parse_content,
    rank,
    words,
)
from tests.unit.fakes import FakeDatabase, FakeUnitOfWorkFactory, _search_matches

from .conftest import empty_all_tables

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def uows(request: pytest.FixtureRequest) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "fake":
        yield FakeUnitOfWorkFactory(FakeDatabase())
        return
    if request.param == "sqlite":
        db = Database.from_url(sqlite_url_for(request.getfixturevalue("sqlite_path")), pool_size=2)
    else:
        db = Database.from_url(request.getfixturevalue("migrated_postgres_url"), pool_size=2)
        await empty_all_tables(db)
    try:
        yield db.uow_factory
    finally:
        await db.dispose()


class Corpus:
    """Users, servers, channels and messages written through the repositories."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self.uows = uows
        self._ids = itertools.count(10_000)
        self.messages: dict[int, Message] = {}

    def new_id(self) -> int:
        return next(self._ids)

    async def user(self, name: str) -> User:
        user = User(self.new_id(), name, f"{name}@x.org", "h", UserStatus.ONLINE, T0, T0)
        async with self.uows() as uow:
            await uow.users.add(user)
            await uow.commit()
        return user

    async def server(self, owner: User) -> Server:
        server = Server(self.new_id(), "srv", "", owner.id, T0)
        async with self.uows() as uow:
            await uow.servers.add(server)
            await uow.members.add(Member(server.id, owner.id, Role.OWNER, T0))
            await uow.commit()
        return server

    async def channel(self, server: Server, name: str = "general") -> Channel:
        channel = Channel(self.new_id(), server.id, name, "", 0, T0)
        async with self.uows() as uow:
            await uow.channels.add(channel)
            await uow.commit()
        return channel

    async def post(self, channel: Channel, author: User, *contents: str) -> list[int]:
        made = []
        async with self.uows() as uow:
            for content in contents:
                message = Message(
                    self.new_id(), channel.id, channel.server_id, author.id, content, T0
                )
                await uow.messages.add(message)
                self.messages[message.id] = message
                made.append(message.id)
            await uow.commit()
        return made

    async def edit(self, message_id: int, content: str) -> None:
        message = replace(self.messages[message_id], content=content, edited_at=T0)
        async with self.uows() as uow:
            await uow.messages.update(message)
            await uow.commit()
        self.messages[message_id] = message

    async def delete(self, message_id: int) -> None:
        async with self.uows() as uow:
            await uow.messages.delete(message_id)
            await uow.commit()
        del self.messages[message_id]

    async def find(self, query: SearchQuery) -> list[int]:
        async with self.uows(read_only=True) as uow:
            page = await uow.search.search(query)
        return [view.message.id for view in page.messages]

    async def total(self, query: SearchQuery) -> int:
        async with self.uows(read_only=True) as uow:
            return (await uow.search.search(query)).total


def q(server: Server, content: str = "", **fields: Any) -> SearchQuery:
    parsed = parse_content(content)
    return SearchQuery(
        server_id=fields.pop("server_id", server.id),
        channel_ids=fields.pop("channel_ids", None),
        terms=parsed.terms,
        excluded=parsed.excluded,
        **fields,
    )


@pytest.fixture
async def world(uows: UnitOfWorkFactory) -> tuple[Corpus, Server, Channel, User]:
    corpus = Corpus(uows)
    alice = await corpus.user("alice")
    server = await corpus.server(alice)
    general = await corpus.channel(server)
    return corpus, server, general, alice


World = tuple[Corpus, Server, Channel, User]


# --- words, phrases, exclusions --------------------------------------------------------------


async def test_words_phrases_and_exclusions(world: World) -> None:
    c, s, ch, alice = world
    a, b, d, e = await c.post(
        ch, alice, "new york city", "york, new!", "new york is not old york", "nothing here"
    )
    assert await c.find(q(s, "york")) == [d, b, a]
    assert await c.find(q(s, "york new")) == [d, b, a]
    assert await c.find(q(s, '"new york"')) == [d, a]
    assert await c.find(q(s, "york -old")) == [b, a]
    assert await c.find(q(s, 'york -"new york"')) == [b]
    assert await c.find(q(s, "-york")) == [e]
    assert await c.find(q(s, "")) == [e, d, b, a]
    assert await c.find(q(s, "york -york")) == []
    assert await c.find(q(s, "yor")) == []  # whole words, not prefixes


async def test_case_and_diacritics_are_ignored(world: World) -> None:
    c, s, ch, alice = world
    ids = await c.post(
        ch,
        alice,
        "Café au lait",
        "CAFE NOIR",
        "cafe\u0301 decomposed",
        "Ｃａｆｅ full width",
        "Straße in Łódź",
        "NAÏVE résumé",
    )
    cafe = list(reversed(ids[:4]))
    assert await c.find(q(s, "café")) == cafe
    assert await c.find(q(s, "CAFE")) == cafe
    assert await c.find(q(s, "strasse lodz")) == [ids[4]]
    assert await c.find(q(s, "STRAßE ŁÓDŹ")) == [ids[4]]
    assert await c.find(q(s, '"naive resume"')) == [ids[5]]


async def test_other_scripts(world: World) -> None:
    c, s, ch, alice = world
    ru, el, ar, he, ja, th, ko = await c.post(
        ch,
        alice,
        "Привет, мир! Ёжик в тумане",
        "ΟΔΥΣΣΕΥΣ και Πηνελόπη",
        "مرحبا بالعالم",
        "שָׁלוֹם עולם",
        "東京都に住んでいます",
        "สวัสดีครับ ยินดีต้อนรับ",
        "한국어 텍스트 검색",
    )
    assert await c.find(q(s, "МИР ежик")) == [ru]
    assert await c.find(q(s, "οδυσσευς πηνελοπη")) == [el]
    assert await c.find(q(s, "بالعالم")) == [ar]
    assert await c.find(q(s, "שלום")) == [he]
    assert await c.find(q(s, "東京")) == [ja]  # a substring: every character is a word
    assert await c.find(q(s, "京都")) == [ja]
    assert await c.find(q(s, "大阪")) == []
    assert await c.find(q(s, "สวัสดี")) == [th]
    assert await c.find(q(s, "텍스트")) == [ko]


async def test_engine_syntax_in_messages_and_queries_is_plain_text(world: World) -> None:
    c, s, ch, alice = world
    ids = await c.post(
        ch,
        alice,
        'NEAR(a b) AND "quoted" OR col:value *star* ^caret',
        "it's 50% off_today; don't {braces} [brackets] -minus",
        "select * from messages where 1=1; drop table messages; --",
    )
    assert await c.find(q(s, "near")) == [ids[0]]
    assert await c.find(q(s, 'NEAR(a "col:value" *star*')) == [ids[0]]
    assert await c.find(q(s, "it's 50% {braces}")) == [ids[1]]
    assert await c.find(q(s, "drop table messages")) == [ids[2]]
    assert await c.find(q(s, "minus")) == [ids[1]]


# --- filters ----------------------------------------------------------------------------------


async def test_scope_channels_authors_mentions_links_and_ids(world: World) -> None:
    c, s, general, alice = world
    bob = await c.user("bob")
    random_ch = await c.channel(s, "random")
    other_server = await c.server(bob)
    elsewhere = await c.channel(other_server)
    a = (await c.post(general, alice, "look https://example.com/a"))[0]
    b = (await c.post(random_ch, bob, f"look <@{alice.id}> here"))[0]
    d = (await c.post(general, bob, "look at example.com"))[0]
    e = (await c.post(elsewhere, bob, "look elsewhere"))[0]
    assert await c.find(q(s, "look")) == [d, b, a]
    assert await c.find(q(s, "look", channel_ids=(random_ch.id,))) == [b]
    assert await c.find(q(s, "look", channel_ids=(random_ch.id, general.id))) == [d, b, a]
    assert await c.find(q(s, "look", author_ids=(bob.id,))) == [d, b]
    assert await c.find(q(s, "", author_ids=(bob.id, alice.id))) == [d, b, a]
    assert await c.find(q(s, "", mentions=(alice.id,))) == [b]
    assert await c.find(q(s, "", mentions=(bob.id,))) == []
    assert await c.find(q(s, "", has=frozenset({Has.LINK}))) == [a]
    assert await c.find(q(s, "look", before=d)) == [b, a]
    assert await c.find(q(s, "look", after=a)) == [d, b]
    assert await c.find(q(s, "look", after=a, before=d)) == [b]
    # A scope of channels only (as DMs will have): exactly those channels.
    assert await c.find(q(s, "look", server_id=None, channel_ids=(elsewhere.id,))) == [e]


async def test_has_file_and_image_follow_what_the_message_carries(world: World) -> None:
    c, s, general, alice = world
    (plain,) = await c.post(general, alice, "x one")
    with_file, with_image = c.new_id(), c.new_id()
    async with c.uows() as uow:  # as posting with files writes them
        for mid, image in ((with_file, False), (with_image, True)):
            message = Message(mid, general.id, s.id, alice.id, f"x {mid}", T0)
            message.attachment_count, message.has_image = 1, image
            await uow.messages.add(message)
            c.messages[mid] = message
        await uow.commit()
    assert await c.find(q(s, "x", has=frozenset({Has.FILE}))) == [with_image, with_file]
    assert await c.find(q(s, "", has=frozenset({Has.IMAGE}))) == [with_image]
    assert await c.find(q(s, "x", has=frozenset({Has.IMAGE, Has.LINK}))) == []
    assert await c.find(q(s, "x")) == [with_image, with_file, plain]
    # An edit that knows the files keeps them findable.
    await c.edit(with_image, "renamed")
    assert await c.find(q(s, "renamed", has=frozenset({Has.IMAGE}))) == [with_image]


# --- following writes ---------------------------------------------------------------------------


async def test_edits_deletes_and_cascades_are_followed(world: World) -> None:
    c, s, general, alice = world
    other = await c.channel(s, "other")
    a, b = await c.post(general, alice, "alpha words", "beta words")
    (x,) = await c.post(other, alice, "gamma words")
    await c.edit(a, "delta replaced")
    assert await c.find(q(s, "alpha")) == []
    assert await c.find(q(s, "delta")) == [a]
    await c.delete(b)
    assert await c.find(q(s, "words")) == [x]
    async with c.uows() as uow:
        await uow.channels.delete(other.id)
        await uow.commit()
    assert await c.find(q(s, "words gamma")) == []
    assert await c.find(q(s, "")) == [a]
    async with c.uows() as uow:
        await uow.servers.delete(s.id)
        await uow.commit()
    assert await c.find(q(s, "")) == []


async def test_the_index_is_part_of_the_transaction(world: World) -> None:
    c, s, general, alice = world
    message = Message(c.new_id(), general.id, s.id, alice.id, "uncommitted words", T0)
    async with c.uows() as uow:
        await uow.messages.add(message)
        page = await uow.search.search(q(s, "uncommitted"))
        assert [v.message.id for v in page.messages] == [message.id]
        await uow.rollback()
    assert await c.find(q(s, "uncommitted")) == []


async def test_long_words_and_long_messages(world: World) -> None:
    c, s, general, alice = world
    long_word = "ж" * 1500  # 3,000 bytes: over PostgreSQL's lexeme limit if not cut
    many = " ".join(f"слово{i}" for i in range(300))
    a, b = await c.post(general, alice, f"{long_word} end", many[:2000])
    assert await c.find(q(s, "ж" * 80)) == [a]  # both cut at the same length
    assert await c.find(q(s, "слово0 слово199")) == [b]


# --- paging, counting, ranking -------------------------------------------------------------------


async def test_newest_first_paging_and_capped_counts(world: World) -> None:
    c, s, general, alice = world
    ids = await c.post(general, alice, *(f"cat number {i}" for i in range(12)))
    newest = list(reversed(ids))
    assert await c.find(q(s, "cat", limit=5)) == newest[:5]
    assert await c.find(q(s, "cat", limit=5, offset=10)) == newest[10:]
    assert await c.find(q(s, "cat", limit=5, offset=12)) == []
    assert await c.total(q(s, "cat", limit=1)) == 12
    assert await c.total(q(s, "cat", count_limit=5)) == 5
    assert await c.find(q(s, "cat", count_limit=5, offset=8, limit=2)) == newest[8:10]
    assert await c.total(q(s, "dog")) == 0


async def test_relevance_is_the_cores_ranking_over_the_newest_window(world: World) -> None:
    c, s, general, alice = world
    texts = ["cat", "cat cat dog", "dog", "cat and a very long message about things", "cat cat"]
    ids = await c.post(general, alice, *texts)
    terms = parse_content("cat").terms
    matching = [(i, words(t)) for i, t in zip(ids, texts, strict=True) if "cat" in words(t)]
    expected = rank(matching, terms)
    assert await c.find(q(s, "cat", sort=SearchSort.RELEVANCE)) == expected
    assert await c.find(q(s, "cat", sort=SearchSort.RELEVANCE, limit=2, offset=1)) == expected[1:3]
    # A window of the newest 2 matches: ranked among themselves, the older ones after, newest
    # first; a page may straddle the window's end.
    newest = [i for i, _ in sorted(matching, reverse=True)]
    windowed = rank([m for m in matching if m[0] in newest[:2]], terms) + newest[2:]
    found = await c.find(q(s, "cat", sort=SearchSort.RELEVANCE, relevance_window=2))
    assert found == windowed
    page = await c.find(
        q(s, "cat", sort=SearchSort.RELEVANCE, relevance_window=2, offset=1, limit=2)
    )
    assert page == windowed[1:3]


# --- the same answers as the reference ---------------------------------------------------------

VOCABULARY = [
    "cafe",
    "Café",
    "CAFÉ",
    "naïve",
    "naive",
    "Straße",
    "strasse",
    "Łódź",
    "lodz",
    "東京",
    "京",
    "мир",
    "МИР",
    "hello",
    "world",
    "e-mail",
    "NEAR",
    "and",
    "or",
    "x",
    "42",
    "https://example.com",
    "<@777>",
    "*",
    "(",
    ":",
    '"',
]


def _random_content(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, 6)))


def _random_query_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        word = rng.choice(VOCABULARY[:22])
        roll = rng.random()
        if roll < 0.15:
            parts.append(f'"{word} {rng.choice(VOCABULARY[:22])}"')
        elif roll < 0.3:
            parts.append(f"-{word}")
        else:
            parts.append(word)
    return " ".join(parts)


async def test_same_answers_as_the_reference(world: World) -> None:
    c, s, general, alice = world
    rng = random.Random(18)
    bob = await c.user("bob")
    other = await c.channel(s, "other")
    for _ in range(6):
        batch = [_random_content(rng) for _ in range(10)]
        await c.post(rng.choice([general, other]), rng.choice([alice, bob]), *batch)
    checked = 0
    for _ in range(150):
        text = _random_query_text(rng)
        try:
            parsed = parse_content(text)
        except Exception:  # no words at all: the use case refuses it, nothing to compare
            continue
        query = SearchQuery(
            server_id=s.id,
            channel_ids=rng.choice([None, (general.id,), (other.id, general.id)]),
            terms=parsed.terms,
            excluded=parsed.excluded,
            author_ids=rng.choice([(), (bob.id,)]),
            mentions=rng.choice([(), (), (777,)]),
            has=rng.choice([frozenset(), frozenset({Has.LINK})]),
            sort=rng.choice(list(SearchSort)),
            limit=25,
        )
        expected = _reference(c.messages.values(), query)
        assert await c.find(query) == expected, (text, query)
        checked += 1
    assert checked > 100


def _reference(messages: Sequence[Message] | Any, query: SearchQuery) -> list[int]:
    found = sorted((m for m in messages if _search_matches(m, query)), key=lambda m: -m.id)
    order = [m.id for m in found]
    if query.sort is SearchSort.RELEVANCE and query.terms:
        window = found[: query.relevance_window]
        order = (
            rank([(m.id, words(m.content)) for m in window], query.terms)
            + order[query.relevance_window :]
        )
    return order[query.offset : query.offset + query.limit]

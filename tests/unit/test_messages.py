"""Messages: post (limits, nonce idempotency), history pages, get, edit, delete, typing."""

from __future__ import annotations

import pytest

from discord_core import limits
from discord_core.errors import (
    Conflict,
    DuplicateKey,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from discord_core.events import MessageCreated, MessageDeleted, MessageUpdated, TypingStarted
from discord_core.usecases import Identity

from .conftest import Crew, fails


async def post_many(crew: Crew, count: int, who: Identity | None = None) -> list[int]:
    """Post `count` messages "m0".. in general; return their ids, oldest first."""
    w = crew.world
    ids = []
    for i in range(count):
        posted = await w.messages.post(who or crew.member, crew.general_id, f"m{i}")
        ids.append(posted.message.message.id)
    w.events.clear()
    return ids


def ids_of(page: list) -> list[int]:  # type: ignore[type-arg]
    return [v.message.id for v in page]


# --- post -------------------------------------------------------------------------------------


async def test_post_stores_and_announces(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "  hello\n\tworld  ")
    view = posted.message
    assert posted.created is True
    assert view.author_username == "member"
    message = view.message
    assert message.content == "hello\n\tworld"
    assert (message.channel_id, message.server_id, message.author_id) == (
        crew.general_id,
        crew.server_id,
        crew.member.user_id,
    )
    assert (message.created_at, message.edited_at, message.nonce) == (w.clock.now(), None, None)
    assert w.events.events == [MessageCreated(crew.server_id, view)]
    assert w.events.routed() == [("MESSAGE_CREATE", f"server:{crew.server_id}")]
    assert await w.messages.get(crew.owner, crew.general_id, message.id) == view
    assert ids_of(await w.messages.history(crew.owner, crew.general_id)) == [message.id]


@pytest.mark.parametrize(
    "content",
    [
        "x",
        "x" * limits.MESSAGE_MAX,
        "  " + "x" * limits.MESSAGE_MAX + "\n ",
        "a\nb",
        "a\tb",
        "\U0001f600" * limits.MESSAGE_MAX,
    ],
)
async def test_post_accepts(crew: Crew, content: str) -> None:
    posted = await crew.world.messages.post(crew.member, crew.general_id, content)
    assert posted.message.message.content == content.strip()


@pytest.mark.parametrize(
    "content",
    [
        "",
        "   ",
        "\n\t ",
        "x" * (limits.MESSAGE_MAX + 1),
        "nul\x00",
        "bell\x07",
        "esc\x1b[31m",
        "del\x7f",
        "lone \ud800 surrogate",
        "next\x85line",
    ],
)
async def test_post_refuses(crew: Crew, content: str) -> None:
    w = crew.world
    await fails(
        w.messages.post(crew.member, crew.general_id, content),
        ValidationFailed,
        "validation_failed",
        field="content",
    )
    assert await w.messages.history(crew.member, crew.general_id) == []
    assert w.events.events == []


@pytest.mark.parametrize("nonce", ["", "n" * (limits.NONCE_MAX + 1), "a\x00", "a\nb", "\udc00"])
async def test_post_refuses_bad_nonces(crew: Crew, nonce: str) -> None:
    w = crew.world
    await fails(
        w.messages.post(crew.member, crew.general_id, "hi", nonce=nonce),
        ValidationFailed,
        "validation_failed",
        field="nonce",
    )
    assert w.events.events == []


async def test_post_by_a_non_member(crew: Crew) -> None:
    w = crew.world
    await fails(w.messages.post(crew.outsider, crew.general_id, "hi"), NotFound, "unknown_channel")
    await fails(w.messages.post(crew.member, 987654, "hi"), NotFound, "unknown_channel")
    assert w.events.events == []


async def test_nonce_makes_a_resend_return_the_first_message(crew: Crew) -> None:
    w = crew.world
    nonce = "n" * limits.NONCE_MAX
    first = await w.messages.post(crew.member, crew.general_id, "once", nonce=nonce)
    assert first.created and first.message.message.nonce == nonce
    w.clock.advance(seconds=5)
    again = await w.messages.post(crew.member, crew.general_id, "once, retried", nonce=nonce)
    assert again.created is False
    assert again.message == first.message  # the stored message, not the retried content
    assert w.events.names() == ["MESSAGE_CREATE"]
    assert ids_of(await w.messages.history(crew.member, crew.general_id)) == [
        first.message.message.id
    ]


async def test_content_and_nonce_are_stripped_then_checked(crew: Crew) -> None:
    w = crew.world
    content = "  " + "x" * limits.MESSAGE_MAX + "\n "
    first = await w.messages.post(crew.member, crew.general_id, content, nonce=" e1 ")
    assert first.message.message.content == "x" * limits.MESSAGE_MAX
    assert first.message.message.nonce == "e1"
    again = await w.messages.post(crew.member, crew.general_id, "x", nonce="e1")
    assert (again.created, again.message) == (False, first.message)


async def test_a_replay_does_not_spend_the_send_budget(crew: Crew) -> None:
    w = crew.world
    spent: list[str] = []

    async def admit() -> None:
        spent.append("send")

    await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1", admit=admit)
    for _ in range(3):
        replay = await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1", admit=admit)
        assert replay.created is False
    await w.messages.post(crew.member, crew.general_id, "no nonce", admit=admit)
    assert spent == ["send", "send"]


async def test_a_refused_budget_stores_nothing(crew: Crew) -> None:
    w = crew.world

    async def refuse() -> None:
        raise RateLimited(1.0)

    with pytest.raises(RateLimited):
        await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1", admit=refuse)
    assert await w.messages.history(crew.member, crew.general_id) == []
    assert w.events.events == []


async def test_nonce_is_per_author(crew: Crew) -> None:
    w = crew.world
    mine = await w.messages.post(crew.member, crew.general_id, "a", nonce="same")
    theirs = await w.messages.post(crew.member2, crew.general_id, "b", nonce="same")
    assert theirs.created
    assert theirs.message.message.id != mine.message.message.id
    assert w.events.names() == ["MESSAGE_CREATE", "MESSAGE_CREATE"]


async def test_nonce_reused_in_another_channel(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.admin, crew.server_id, "other")
    await w.messages.post(crew.member, crew.general_id, "a", nonce="n1")
    w.events.clear()
    await fails(
        w.messages.post(crew.member, other.id, "a", nonce="n1"),
        Conflict,
        "nonce_reused",
        field="nonce",
    )
    assert await w.messages.history(crew.member, other.id) == []
    assert w.events.events == []


async def test_nonce_race_lost_to_a_concurrent_send_returns_the_winner(crew: Crew) -> None:
    w = crew.world
    winner = []

    async def concurrent_send() -> None:
        winner.append(await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1"))

    # The retry checks the nonce, then the first send commits, then the retry inserts.
    w.db.inject("messages.add", concurrent_send)
    posted = await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1")
    assert posted.created is False
    assert posted.message == winner[0].message
    assert w.events.names() == ["MESSAGE_CREATE"]  # the winner's only
    assert ids_of(await w.messages.history(crew.member, crew.general_id)) == [
        winner[0].message.message.id
    ]


async def test_nonce_race_lost_in_another_channel(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.admin, crew.server_id, "other")
    w.events.clear()

    async def concurrent_send() -> None:
        await w.messages.post(crew.member, other.id, "hi", nonce="n1")

    w.db.inject("messages.add", concurrent_send)
    await fails(
        w.messages.post(crew.member, crew.general_id, "hi", nonce="n1"), Conflict, "nonce_reused"
    )
    assert await w.messages.history(crew.member, crew.general_id) == []
    assert w.events.names() == ["MESSAGE_CREATE"]


async def test_duplicate_key_with_no_winner_to_replay_is_a_conflict(crew: Crew) -> None:
    w = crew.world
    w.db.inject("messages.add", DuplicateKey("nonce"))
    await fails(
        w.messages.post(crew.member, crew.general_id, "hi", nonce="n1"), Conflict, "conflict"
    )
    assert await w.messages.history(crew.member, crew.general_id) == []
    assert w.events.events == []
    # and the nonce is still free
    assert (await w.messages.post(crew.member, crew.general_id, "hi", nonce="n1")).created


async def test_failed_commit_stores_and_announces_nothing(crew: Crew) -> None:
    w = crew.world
    w.db.inject("commit", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        await w.messages.post(crew.member, crew.general_id, "lost")
    assert w.events.events == []
    assert await w.messages.history(crew.member, crew.general_id) == []


# --- history ----------------------------------------------------------------------------------


async def test_history_default_page_is_the_50_newest(crew: Crew) -> None:
    ids = await post_many(crew, 60)
    page = await crew.world.messages.history(crew.member, crew.general_id)
    assert ids_of(page) == ids[::-1][:50]
    assert [v.author_username for v in page] == ["member"] * 50


async def test_history_limit_edges(crew: Crew) -> None:
    w = crew.world
    ids = await post_many(crew, 101)
    assert ids_of(await w.messages.history(crew.member, crew.general_id, limit=1)) == [ids[-1]]
    assert (
        ids_of(await w.messages.history(crew.member, crew.general_id, limit=100))
        == (ids[::-1][:100])
    )
    for bad in (0, -1, limits.PAGE_LIMIT_MAX + 1):
        await fails(
            w.messages.history(crew.member, crew.general_id, limit=bad),
            ValidationFailed,
            "validation_failed",
            field="limit",
        )


async def test_history_before_and_after(crew: Crew) -> None:
    w = crew.world
    ids = await post_many(crew, 10)
    before = await w.messages.history(crew.member, crew.general_id, before=ids[5], limit=3)
    assert ids_of(before) == [ids[4], ids[3], ids[2]]
    # after: the messages closest to the cursor, still newest first
    after = await w.messages.history(crew.member, crew.general_id, after=ids[5], limit=3)
    assert ids_of(after) == [ids[8], ids[7], ids[6]]
    assert await w.messages.history(crew.member, crew.general_id, after=ids[-1]) == []
    assert await w.messages.history(crew.member, crew.general_id, before=ids[0]) == []
    # paging backwards with `before` = the oldest id seen walks the whole channel once
    seen: list[int] = []
    cursor = None
    while page := await w.messages.history(crew.member, crew.general_id, before=cursor, limit=4):
        seen += ids_of(page)
        cursor = page[-1].message.id
    assert seen == ids[::-1]


async def test_history_around_centres_on_the_message(crew: Crew) -> None:
    w = crew.world
    ids = await post_many(crew, 20)
    around = await w.messages.history(crew.member, crew.general_id, around=ids[10], limit=5)
    assert ids_of(around) == [ids[12], ids[11], ids[10], ids[9], ids[8]]
    one = await w.messages.history(crew.member, crew.general_id, around=ids[10], limit=1)
    assert ids_of(one) == [ids[10]]
    # near the newest end the page fills up with older messages
    end = await w.messages.history(crew.member, crew.general_id, around=ids[-1], limit=4)
    assert ids_of(end) == [ids[19], ids[18], ids[17], ids[16]]


async def test_history_around_the_largest_id_is_the_newest_page(crew: Crew) -> None:
    ids = await post_many(crew, 3)
    page = await crew.world.messages.history(
        crew.member, crew.general_id, around=limits.SNOWFLAKE_MAX, limit=10
    )
    assert ids_of(page) == ids[::-1]


@pytest.mark.parametrize(
    "cursors",
    [
        {"before": 5, "after": 1},
        {"before": 5, "around": 3},
        {"after": 1, "around": 3},
        {"before": 5, "after": 1, "around": 3},
    ],
)
async def test_history_takes_at_most_one_cursor(crew: Crew, cursors: dict[str, int]) -> None:
    await fails(
        crew.world.messages.history(crew.member, crew.general_id, **cursors),
        ValidationFailed,
        "validation_failed",
        field="before",
    )


async def test_history_is_per_channel(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.admin, crew.server_id, "other")
    ids = await post_many(crew, 3)
    theirs = await w.messages.post(crew.member, other.id, "elsewhere")
    assert ids_of(await w.messages.history(crew.member, crew.general_id)) == ids[::-1]
    assert ids_of(await w.messages.history(crew.member, other.id)) == [theirs.message.message.id]


# --- get, edit, delete ------------------------------------------------------------------------


async def test_message_ids_from_another_channel_are_unknown(crew: Crew) -> None:
    w = crew.world
    other = await w.channels.create(crew.admin, crew.server_id, "other")
    posted = await w.messages.post(crew.member, other.id, "elsewhere")
    mid = posted.message.message.id
    w.events.clear()
    await fails(w.messages.get(crew.member, crew.general_id, mid), NotFound, "unknown_message")
    await fails(
        w.messages.edit(crew.member, crew.general_id, mid, "x"), NotFound, "unknown_message"
    )
    await fails(w.messages.delete(crew.owner, crew.general_id, mid), NotFound, "unknown_message")
    await fails(
        w.messages.get(crew.member, crew.general_id, 123456789), NotFound, "unknown_message"
    )
    assert (await w.messages.get(crew.member, other.id, mid)).message.content == "elsewhere"
    assert w.events.events == []


async def test_edit_by_the_author(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "teh typo")
    edited_at = w.clock.advance(minutes=1)
    w.events.clear()
    view = await w.messages.edit(
        crew.member, crew.general_id, posted.message.message.id, " the typo "
    )
    assert view.message.content == "the typo"
    assert view.message.edited_at == edited_at
    assert view.message.created_at == posted.message.message.created_at
    assert view.author_username == "member"
    assert w.events.events == [MessageUpdated(crew.server_id, view)]
    stored = await w.messages.get(crew.owner, crew.general_id, view.message.id)
    assert stored == view


@pytest.mark.parametrize("who", ["owner", "admin", "mod", "member2"])
async def test_only_the_author_edits(crew: Crew, who: str) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "mine")
    w.events.clear()
    await fails(
        w.messages.edit(getattr(crew, who), crew.general_id, posted.message.message.id, "theirs"),
        Forbidden,
        "not_author",
    )
    got = await w.messages.get(crew.member, crew.general_id, posted.message.message.id)
    assert (got.message.content, got.message.edited_at) == ("mine", None)
    assert w.events.events == []


async def test_edit_validates(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "mine")
    for bad in ("", "x" * 2001, "a\x00"):
        await fails(
            w.messages.edit(crew.member, crew.general_id, posted.message.message.id, bad),
            ValidationFailed,
            "validation_failed",
            field="content",
        )


@pytest.mark.parametrize("who", ["member", "mod", "admin", "owner"])
async def test_delete_by_author_or_moderator_and_up(crew: Crew, who: str) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "bye")
    mid = posted.message.message.id
    w.events.clear()
    await w.messages.delete(getattr(crew, who), crew.general_id, mid)
    assert w.events.events == [MessageDeleted(crew.server_id, crew.general_id, mid)]
    assert w.events.routed() == [("MESSAGE_DELETE", f"server:{crew.server_id}")]
    await fails(w.messages.get(crew.member, crew.general_id, mid), NotFound, "unknown_message")
    assert await w.messages.history(crew.member, crew.general_id) == []


async def test_a_moderator_may_delete_the_owners_message(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.owner, crew.general_id, "from the top")
    await w.messages.delete(crew.mod, crew.general_id, posted.message.message.id)
    assert await w.messages.history(crew.member, crew.general_id) == []


async def test_a_member_may_not_delete_others_messages(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member2, crew.general_id, "keep")
    w.events.clear()
    await fails(
        w.messages.delete(crew.member, crew.general_id, posted.message.message.id),
        Forbidden,
        "missing_permission",
    )
    assert len(await w.messages.history(crew.member, crew.general_id)) == 1
    assert w.events.events == []


async def test_a_kicked_author_loses_their_messages_controls(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "before the kick")
    await w.members.kick(crew.mod, crew.server_id, crew.member.user_id)
    await fails(
        w.messages.edit(crew.member, crew.general_id, posted.message.message.id, "x"),
        NotFound,
        "unknown_channel",
    )
    # the message stays for the others
    assert len(await w.messages.history(crew.owner, crew.general_id)) == 1


# --- typing -----------------------------------------------------------------------------------


async def test_typing_announces_without_writing(crew: Crew) -> None:
    w = crew.world
    start = len(w.fakes.uow.created)
    commits = w.db.commits
    await w.messages.typing(crew.mod, crew.general_id)
    assert w.events.events == [
        TypingStarted(crew.server_id, crew.general_id, crew.mod.user_id, "mod", w.clock.now())
    ]
    assert w.events.routed() == [("TYPING_START", f"server:{crew.server_id}")]
    assert w.fakes.uow.read_only_flags[start:] == [True]
    assert w.db.commits == commits


async def test_typing_by_a_non_member(crew: Crew) -> None:
    w = crew.world
    await fails(w.messages.typing(crew.outsider, crew.general_id), NotFound, "unknown_channel")
    assert w.events.events == []

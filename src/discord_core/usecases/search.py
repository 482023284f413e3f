"""Message search in a server or a channel: only what the caller may read, any input safe.

The query language and what a word is live in `discord_core.search`; the index is a port
(`UnitOfWork.search`) that follows the messages table by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import limits
from ..errors import NotFound, ValidationFailed
from ..model import MessageView, Snowflake
from ..search import (
    COUNT_MAX,
    FILTER_VALUES_MAX,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    OFFSET_MAX,
    Has,
    SearchQuery,
    SearchSort,
    Term,
    highlights,
    parse_content,
)
from .access import channel_access
from .auth import Identity
from .base import CHANNEL_NOT_FOUND, UseCases, readable_channels
from .messages import with_details


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search as asked (the REST query parameters), before any validation."""

    content: str | None = None
    author_ids: Sequence[int] = ()
    channel_ids: Sequence[int] = ()
    mentions: Sequence[int] = ()
    has: Sequence[str] = ()
    pinned: bool | None = None
    before: int | None = None
    after: int | None = None
    limit: int | None = None
    offset: int | None = None
    sort: str | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    message: MessageView
    highlights: list[tuple[int, int]]
    """Where the query's words are in the content (see `search.highlights`)."""


@dataclass(frozen=True, slots=True)
class SearchResults:
    total: int
    """Matches in all, up to COUNT_MAX."""
    exact: bool
    """False when more than COUNT_MAX messages match (`total` is then COUNT_MAX)."""
    hits: list[SearchHit]


def _ids(values: Sequence[int], field: str) -> tuple[Snowflake, ...]:
    if len(values) > FILTER_VALUES_MAX:
        raise ValidationFailed(
            f"{field} can be given at most {FILTER_VALUES_MAX} times.", field=field
        )
    return tuple(dict.fromkeys(limits.snowflake(v, field) for v in values))


def _has(values: Sequence[str]) -> frozenset[Has]:
    wanted: set[Has] = set()
    for value in values:
        try:
            has = Has(value)
        except ValueError:
            choices = ", ".join(h.value for h in Has)
            raise ValidationFailed(f"has must be one of {choices}.", field="has") from None
        wanted.add(has)
    return frozenset(wanted)


def _sort(value: str | None) -> SearchSort:
    if value is None:
        return SearchSort.NEWEST
    try:
        return SearchSort(value)
    except ValueError:
        raise ValidationFailed("sort must be newest or relevance.", field="sort") from None


def _offset(value: int | None) -> int:
    if value is None:
        return 0
    if not 0 <= value <= OFFSET_MAX:
        raise ValidationFailed(f"offset must be between 0 and {OFFSET_MAX}.", field="offset")
    return value


def _cursor(value: int | None, field: str) -> Snowflake | None:
    return limits.snowflake(value, field) if value is not None else None


@dataclass(frozen=True, slots=True)
class _Asked:
    """A validated request, without its scope."""

    terms: tuple[Term, ...]
    excluded: tuple[Term, ...]
    author_ids: tuple[Snowflake, ...]
    channel_ids: tuple[Snowflake, ...]
    mentions: tuple[Snowflake, ...]
    has: frozenset[Has]
    pinned: bool | None
    before: Snowflake | None
    after: Snowflake | None
    sort: SearchSort
    limit: int
    offset: int

    def query(
        self, server_id: Snowflake | None, channel_ids: tuple[Snowflake, ...] | None
    ) -> SearchQuery:
        return SearchQuery(
            server_id=server_id,
            channel_ids=channel_ids,
            terms=self.terms,
            excluded=self.excluded,
            author_ids=self.author_ids,
            mentions=self.mentions,
            has=self.has,
            pinned=self.pinned,
            before=self.before,
            after=self.after,
            sort=self.sort,
            limit=self.limit,
            offset=self.offset,
            count_limit=COUNT_MAX + 1,
        )


def _validate(request: SearchRequest) -> _Asked:
    """Every check that needs no database, so bad input never reaches the index."""
    parsed = parse_content(request.content or "")
    return _Asked(
        terms=parsed.terms,
        excluded=parsed.excluded,
        author_ids=_ids(request.author_ids, "author_id"),
        channel_ids=_ids(request.channel_ids, "channel_id"),
        mentions=_ids(request.mentions, "mentions"),
        has=_has(request.has),
        pinned=request.pinned,
        before=_cursor(request.before, "before"),
        after=_cursor(request.after, "after"),
        sort=_sort(request.sort),
        limit=limits.page_limit(request.limit, default=LIMIT_DEFAULT, maximum=LIMIT_MAX),
        offset=_offset(request.offset),
    )


class SearchUseCases(UseCases):
    async def in_server(
        self, identity: Identity, server_id: Snowflake, request: SearchRequest
    ) -> SearchResults:
        """Search the server's channels the caller may read (all of them, or the ones named
        by channel_id, each of which must be one of those)."""
        asked = _validate(request)
        async with self.deps.uow(read_only=True) as uow:
            readable = await readable_channels(uow, server_id, identity.user_id)
            readable_ids = tuple(c.id for c in readable.channels)
            scope: tuple[Snowflake, ...] | None
            if asked.channel_ids:
                unknown = set(asked.channel_ids) - set(readable_ids)
                if unknown:
                    raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel", field="channel_id")
                scope = asked.channel_ids
            else:
                scope = None if readable.whole_server else readable_ids
            if scope == ():  # no channel to read: nothing can match
                return SearchResults(0, True, [])
            page = await uow.search.search(asked.query(server_id, scope))
            await with_details(uow, page.messages, identity.user_id)
        return _results(page.total, page.messages, asked.terms)

    async def in_channel(
        self, identity: Identity, channel_id: Snowflake, request: SearchRequest
    ) -> SearchResults:
        """Search one channel the caller may read."""
        asked = _validate(request)
        if asked.channel_ids and set(asked.channel_ids) != {channel_id}:
            raise ValidationFailed(
                "A channel's search covers that channel only; search the server for others.",
                field="channel_id",
            )
        async with self.deps.uow(read_only=True) as uow:
            channel = (await channel_access(uow, channel_id, identity.user_id)).channel
            page = await uow.search.search(asked.query(channel.server_id, (channel_id,)))
            await with_details(uow, page.messages, identity.user_id)
        return _results(page.total, page.messages, asked.terms)


def _results(total: int, views: list[MessageView], terms: tuple[Term, ...]) -> SearchResults:
    hits = [SearchHit(view, highlights(view.message.content, terms)) for view in views]
    return SearchResults(min(total, COUNT_MAX), total <= COUNT_MAX, hits)

"""Message search: GET /servers/{server_id}/messages/search and
GET /channels/{channel_id}/messages/search (the rules are in discord_core.usecases.search)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from discord_core import limits, search
from discord_core.usecases import SearchRequest

from ..schemas import SearchOut, search_out
from .params import AppContainer, Caller, ChannelId, ServerId
from .ratelimit import RATE

Snowflake = Annotated[int, msgspec.Meta(gt=0, le=limits.SNOWFLAKE_MAX)]
Cursor = Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)]
HasName = Literal["link", "file", "image"]


def _one_or_many(item: dict[str, Any], max_items: int) -> dict[str, Any]:
    """The OpenAPI schema of a repeatable query parameter: `?x=1` is one value and
    `?x=1&x=2` several (in a query string one value cannot be told from a list of one)."""
    return {"oneOf": [item, {"type": "array", "items": item, "maxItems": max_items}]}


_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": limits.SNOWFLAKE_MAX}
Ids = Annotated[
    list[Snowflake] | None,
    Parameter(
        max_items=search.FILTER_VALUES_MAX,
        description="Repeat for any of several.",
        schema_extra=_one_or_many(_ID_SCHEMA, search.FILTER_VALUES_MAX),
    ),
]


def search_request(
    content: Annotated[
        str | None,
        Parameter(
            max_length=search.CONTENT_MAX,
            description='Words (all must appear), "exact phrases", -excluded words.',
        ),
    ] = None,
    author_id: Ids = None,
    mentions: Ids = None,
    has: Annotated[
        list[HasName] | None,
        Parameter(
            max_items=3,
            description="Every one given must hold (file, image: 400 for now).",
            schema_extra=_one_or_many({"type": "string", "enum": ["link", "file", "image"]}, 3),
        ),
    ] = None,
    pinned: Annotated[
        bool | None, Parameter(description="true: pinned messages only; false: not pinned.")
    ] = None,
    before: Cursor = None,
    after: Cursor = None,
    limit: Annotated[int | None, Parameter(ge=1, le=search.LIMIT_MAX)] = None,
    offset: Annotated[int | None, Parameter(ge=0, le=search.OFFSET_MAX)] = None,
    sort: Annotated[
        Literal["newest", "relevance"] | None,
        Parameter(description="newest (the default) or relevance."),
    ] = None,
) -> SearchRequest:
    """The search's query parameters, shared by both routes."""
    return SearchRequest(
        content=content,
        author_ids=author_id or (),
        mentions=mentions or (),
        has=has or (),
        pinned=pinned,
        before=before,
        after=after,
        limit=limit,
        offset=offset,
        sort=sort,
    )


def server_search_request(
    asked: NamedDependency[SearchRequest], channel_id: Ids = None
) -> SearchRequest:
    """A server's search also takes channel_id (any of these channels)."""
    return replace(asked, channel_ids=channel_id or ())


class SearchController(Controller):
    path = ""
    tags = ["search"]
    dependencies = {"asked": Provide(search_request, sync_to_thread=False)}

    @get(
        "/servers/{server_id:int}/messages/search",
        opt={RATE: "search_per_user"},
        dependencies={
            "server_asked": Provide(server_search_request, sync_to_thread=False),
        },
    )
    async def in_server(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        server_asked: NamedDependency[SearchRequest],
    ) -> SearchOut:
        """Search the messages of the server's channels you can read, newest first (or by
        relevance). A non-member gets 404."""
        found = await container.search.in_server(identity, server_id, server_asked)
        return search_out(found, container.files.linker.link)

    @get("/channels/{channel_id:int}/messages/search", opt={RATE: "search_per_user"})
    async def in_channel(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        asked: NamedDependency[SearchRequest],
    ) -> SearchOut:
        """Search one channel's messages."""
        found = await container.search.in_channel(identity, channel_id, asked)
        return search_out(found, container.files.linker.link)

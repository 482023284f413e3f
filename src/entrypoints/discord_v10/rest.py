"""/api/v10: the REST routes a discord.py bot uses, each calling the same use case as its
/api/v1 twin and re-shaping the answer (`shapes`). Routes for what Concord does not have
answer with Discord's error shape (docs/bots.md lists them)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Router, delete, get, patch, post, put
from litestar.enums import RequestEncodingType
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from discord_core import limits
from discord_core.errors import ValidationFailed
from discord_core.usecases import Reply

from .. import schemas as s
from ..http.errors import MULTIPART
from ..http.params import AppContainer, Caller, ChannelId, MessageId, ServerId, UserId
from ..http.ratelimit import RATE, RATE_DEFERRED, RATE_KEY, enforce, spend_route_budget
from ..http.uploads import FormReceiver
from ..services import Services
from . import shapes
from .errors import DISCORD_EXCEPTION_HANDLERS

JSON = dict[str, Any]
PREFIX = "/api/v10"
GATEWAY_PATH = f"{PREFIX}/gateway"

Cursor = Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)]
PageLimit = Annotated[int | None, Parameter(ge=1, le=limits.PAGE_LIMIT_MAX)]
MemberLimit = Annotated[int | None, Parameter(ge=1, le=limits.MEMBER_PAGE_MAX)]
AfterUser = Annotated[int | None, Parameter(ge=0, le=limits.SNOWFLAKE_MAX)]
Emoji = Annotated[str, Parameter(max_length=200)]


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


def base_url(request: Request[Any, Any, Any]) -> str:
    """The server's own address as the caller reached it (no trailing slash)."""
    return str(request.base_url).rstrip("/")


def gateway_url(http_base: str) -> str:
    scheme, _, rest = http_base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{GATEWAY_PATH}"


def _message(container: Services, request: Request[Any, Any, Any], view: Any) -> JSON:
    v1 = _builtins(s.message_out(view, container.files.linker.link))
    return shapes.message(v1, base_url(request))


class MessageIn(msgspec.Struct, kw_only=True):
    """What discord.py and discord.js send; fields Concord has no use for are accepted and
    ignored (tts, allowed_mentions, flags, components, sticker_ids, enforce_nonce)."""

    content: str | None = None
    nonce: str | int | None = None
    embeds: list[dict[str, Any]] | None = None
    embed: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    allowed_mentions: dict[str, Any] | None = None


class OpenDmV10(msgspec.Struct, kw_only=True):
    recipient_id: str | int


class EditIn(msgspec.Struct, kw_only=True):
    content: str | None = None
    embeds: list[dict[str, Any]] | None = None


def _decode(body: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body or b"{}", type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValidationFailed(f"Invalid Form Body: {exc}", code="validation_failed") from exc


def embed_text(embeds: list[dict[str, Any]] | None) -> str:
    """Concord has no embeds: their title, description and fields become text."""
    lines: list[str] = []
    for embed in embeds or []:
        if embed.get("title"):
            lines.append(f"**{embed['title']}**")
        if embed.get("description"):
            lines.append(str(embed["description"]))
        for item in embed.get("fields") or []:
            lines.append(f"**{item.get('name', '')}**: {item.get('value', '')}")
        if (embed.get("footer") or {}).get("text"):
            lines.append(str(embed["footer"]["text"]))
    return "\n".join(lines)


def _content(content: str | None, embeds: list[dict[str, Any]] | None) -> str:
    text = content or ""
    extra = embed_text(embeds)
    text = f"{text}\n{extra}" if text and extra else (text or extra)
    if not text.strip():
        raise ValidationFailed("Cannot send an empty message", code="empty_message")
    return text


def _reply(data: MessageIn) -> Reply | None:
    """`message_reference` (discord.py's `message.reply()`) -> Concord's reply."""
    ref = data.message_reference
    if ref is None:
        return None
    try:
        message_id = int(ref.get("message_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(
            "message_reference.message_id must be a message id.", field="message_reference"
        ) from None
    mention = (data.allowed_mentions or {}).get("replied_user", True)
    return Reply(
        message_id,
        fail_if_not_exists=bool(ref.get("fail_if_not_exists", True)),
        mention_author=bool(mention),
    )


def _text(data: MessageIn, *, allow_empty: bool = False) -> str:
    embeds = [*(data.embeds or []), *([data.embed] if data.embed else [])]
    if allow_empty and not (data.content or embeds):
        return ""
    return _content(data.content, embeds)


def _nonce(data: MessageIn) -> str | None:
    return str(data.nonce) if data.nonce is not None else None


def not_supported(what: str) -> ValidationFailed:
    return ValidationFailed(f"Concord does not support {what} yet.", code="not_supported")


class UsersV10(Controller):
    path = "/users"

    @get("/@me")
    async def me(self, container: AppContainer, identity: Caller) -> JSON:
        return shapes.me(_builtins(s.me_out(await container.users.me(identity))))

    @get("/{user_id:int}")
    async def get_user(self, container: AppContainer, identity: Caller, user_id: UserId) -> JSON:
        return shapes.user(_builtins(s.user_out(await container.users.get(identity, user_id))))

    @get("/@me/guilds")
    async def my_guilds(self, container: AppContainer, identity: Caller) -> list[JSON]:
        pairs = await container.users.servers(identity)
        return [
            shapes.partial_guild(_builtins(s.my_server_out(server, member)))
            for server, member in pairs
        ]

    @delete("/@me/guilds/{server_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def leave(self, container: AppContainer, identity: Caller, server_id: ServerId) -> None:
        await container.members.leave(identity, server_id)

    @post("/@me/channels", status_code=HTTP_200_OK)
    async def open_dm(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
    ) -> JSON:
        """Discord's "Create DM": the DM with `recipient_id` (the same one every time)."""
        data: OpenDmV10 = _decode(await request.body(), OpenDmV10)
        try:
            recipient = int(data.recipient_id)
        except ValueError:
            raise ValidationFailed(
                "recipient_id must be a snowflake.", field="recipient_id"
            ) from None
        admit = partial(
            enforce, container, f"dm_open:{identity.user_id}", "dm_open_per_user", request
        )
        opened = await container.private_channels.open_dm(identity, recipient, admit=admit)
        return shapes.channel(_builtins(s.channel_out(opened.channel)), str(identity.user_id))


class ApplicationsV10(Controller):
    path = "/oauth2/applications"

    @get("/@me")
    async def me(self, container: AppContainer, identity: Caller) -> JSON:
        app = await container.bots.application(identity)
        bot = shapes.user(_builtins(s.user_out(app.user)))
        return {
            "id": bot["id"],
            "name": bot["username"],
            "icon": bot["avatar"],
            "description": "",
            "summary": "",
            "type": None,
            "bot": bot,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": shapes.user(_builtins(s.user_out(app.owner))),
            "team": None,
            "verify_key": "",
            "flags": 0,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 0,
        }


@get("/gateway", opt={"public": True})
async def get_gateway(request: Request[Any, Any, Any]) -> JSON:
    return {"url": gateway_url(base_url(request))}


@get("/gateway/bot")
async def get_gateway_bot(request: Request[Any, Any, Any], identity: Caller) -> JSON:
    del identity  # a token is required, as Discord's
    return {
        "url": gateway_url(base_url(request)),
        "shards": 1,
        "session_start_limit": {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": 1,
        },
    }


class GuildsV10(Controller):
    path = "/guilds/{server_id:int}"

    @get("/")
    async def get_guild(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> JSON:
        snap = await container.servers.get(identity, server_id)
        return shapes.guild(_builtins(s.server_detail_out(snap)))

    @get("/channels")
    async def channels(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> list[JSON]:
        found = await container.channels.list_channels(identity, server_id)
        return [shapes.channel(_builtins(s.channel_out(c))) for c in found]

    @get("/roles")
    async def roles(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> list[JSON]:
        await container.servers.get(identity, server_id)  # members only, as everywhere
        return shapes.roles(str(server_id))

    @get("/members")
    async def members(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        after: AfterUser = None,
        limit: MemberLimit = None,
    ) -> list[JSON]:
        rows = await container.members.list_members(
            identity, server_id, after=after, limit=limit or 1
        )
        return [shapes.member(_builtins(s.member_out(row.view))) for row in rows]

    @get("/members/{user_id:int}")
    async def member(
        self, container: AppContainer, identity: Caller, server_id: ServerId, user_id: UserId
    ) -> JSON:
        row = await container.members.get(identity, server_id, user_id)
        return shapes.member(_builtins(s.member_out(row.view)))

    @delete("/members/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def kick(
        self, container: AppContainer, identity: Caller, server_id: ServerId, user_id: UserId
    ) -> None:
        await container.members.kick(identity, server_id, user_id)


class ChannelsV10(Controller):
    path = "/channels/{channel_id:int}"

    @get("/")
    async def get_channel(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> JSON:
        return shapes.channel(
            _builtins(s.channel_out(await container.channels.get(identity, channel_id))),
            str(identity.user_id),
        )

    @post(
        "/typing",
        status_code=HTTP_204_NO_CONTENT,
        opt={RATE: "typing_per_channel", RATE_KEY: "channel_id"},
    )
    async def typing(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> None:
        await container.messages.typing(identity, channel_id)

    @get("/messages")
    async def history(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        before: Cursor = None,
        after: Cursor = None,
        around: Cursor = None,
        limit: PageLimit = None,
    ) -> list[JSON]:
        page = await container.messages.history(
            identity, channel_id, before=before, after=after, around=around, limit=limit
        )
        return [_message(container, request, view) for view in page]

    @post(
        "/messages",
        status_code=HTTP_200_OK,
        opt={
            RATE: "message_per_channel",
            RATE_KEY: "channel_id",
            RATE_DEFERRED: True,
            MULTIPART: True,
        },
    )
    async def post_message(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
    ) -> JSON:
        """JSON, or multipart with `payload_json` and `files[n]` (as discord.py sends files):
        the same form v1 takes, read by the same streaming receiver."""
        admit = partial(spend_route_budget, request, container, identity)
        if request.content_type[0] == RequestEncodingType.MULTI_PART:
            await container.messages.check_can_post(identity, channel_id)
            await enforce(container, f"upload:{identity.user_id}", "upload_per_user", request)
            receiver = FormReceiver(container.settings.upload_path, container.file_limits)
            async with receiver.receive(request) as form:
                data: MessageIn = _decode(form.payload or b"{}", MessageIn)
                text = _text(data, allow_empty=bool(form.uploads))
                posted = await container.messages.post(
                    identity,
                    channel_id,
                    text,
                    _nonce(data),
                    uploads=form.uploads,
                    admit=admit,
                    reply=_reply(data),
                )
            return _message(container, request, posted.message)
        data = _decode(await request.body(), MessageIn)
        posted = await container.messages.post(
            identity, channel_id, _text(data), _nonce(data), admit=admit, reply=_reply(data)
        )
        return _message(container, request, posted.message)

    @get("/messages/{message_id:int}")
    async def get_message(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> JSON:
        view = await container.messages.get(identity, channel_id, message_id)
        return _message(container, request, view)

    @patch("/messages/{message_id:int}")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> JSON:
        data: EditIn = _decode(await request.body(), EditIn)
        view = await container.messages.edit(
            identity, channel_id, message_id, _content(data.content, data.embeds)
        )
        return _message(container, request, view)

    @delete("/messages/{message_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_message(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        await container.messages.delete(identity, channel_id, message_id)

    # --- reactions (Unicode emoji) and pins: the same use cases as /api/v1 ---------------------

    @put(
        "/messages/{message_id:int}/reactions/{emoji:str}/@me",
        status_code=HTTP_204_NO_CONTENT,
        opt={RATE: "reaction_per_user"},
    )
    async def add_reaction(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        await container.reactions.add(identity, channel_id, message_id, emoji)

    @delete(
        "/messages/{message_id:int}/reactions/{emoji:str}/@me",
        status_code=HTTP_204_NO_CONTENT,
        opt={RATE: "reaction_per_user"},
    )
    async def remove_reaction(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        await container.reactions.remove(identity, channel_id, message_id, emoji)

    @delete(
        "/messages/{message_id:int}/reactions/{emoji:str}/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove_user_reaction(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
        user_id: UserId,
    ) -> None:
        await container.reactions.remove(identity, channel_id, message_id, emoji, user_id)

    @delete("/messages/{message_id:int}/reactions/{emoji:str}", status_code=HTTP_204_NO_CONTENT)
    async def clear_emoji(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        await container.reactions.clear(identity, channel_id, message_id, emoji)

    @delete("/messages/{message_id:int}/reactions", status_code=HTTP_204_NO_CONTENT)
    async def clear_all(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        await container.reactions.clear(identity, channel_id, message_id)

    @get("/messages/{message_id:int}/reactions/{emoji:str}")
    async def reactors(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
        after: AfterUser = None,
        limit: PageLimit = None,
    ) -> list[JSON]:
        found = await container.reactions.users(
            identity, channel_id, message_id, emoji, after=after, limit=limit or 25
        )
        return [
            shapes.user(
                {
                    "id": str(r.user_id),
                    "username": r.username,
                    "avatar_url": s.avatar_url(r.user_id, r.avatar),
                }
            )
            for r in found
        ]

    @get("/pins")
    async def pins(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
    ) -> list[JSON]:
        views = await container.pins.list(identity, channel_id)
        return [_message(container, request, v) for v in views]

    @get("/messages/pins")
    async def pins_v2(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
    ) -> JSON:
        """discord.py 2.6+ reads pins here: `{items: [{pinned_at, message}], has_more}`."""
        views = await container.pins.list(identity, channel_id)
        items = [
            {
                "pinned_at": v.message.pinned_at.isoformat() if v.message.pinned_at else None,
                "message": _message(container, request, v),
            }
            for v in views
        ]
        return {"items": items, "has_more": False}

    # Discord has both paths: /messages/pins is discord.py 2.6+'s, /pins the older one.
    @put(
        ["/pins/{message_id:int}", "/messages/pins/{message_id:int}"],
        status_code=HTTP_204_NO_CONTENT,
    )
    async def pin(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        await container.pins.pin(identity, channel_id, message_id)

    @delete(
        ["/pins/{message_id:int}", "/messages/pins/{message_id:int}"],
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unpin(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        await container.pins.unpin(identity, channel_id, message_id)


def discord_router(gateway_handler: Any) -> Router:
    return Router(
        path=PREFIX,
        route_handlers=[
            UsersV10,
            ApplicationsV10,
            get_gateway,
            get_gateway_bot,
            GuildsV10,
            ChannelsV10,
            gateway_handler,
        ],
        exception_handlers=DISCORD_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )

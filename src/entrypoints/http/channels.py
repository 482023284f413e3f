"""/channels/{channel_id}: the channel, its messages and typing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core import limits
from discord_core.errors import ValidationFailed
from discord_core.usecases import Identity, Reply

from ..schemas import (
    AllowedMentionsIn,
    ChannelOut,
    EditMessageIn,
    MessageOut,
    MessageReferenceIn,
    PostFilesPayloadIn,
    PostMessageIn,
    UpdateChannelIn,
    channel_out,
    message_out,
)
from ..services import Services
from .errors import MULTIPART
from .params import AppContainer, Caller, ChannelId, MessageId, ReasonHeader, audit_reason
from .ratelimit import RATE, RATE_DEFERRED, RATE_KEY, enforce, spend_route_budget
from .uploads import PAYLOAD_FIELD, FormReceiver

Cursor = Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)]


def _decode(body: bytes, kind: type[Any]) -> Any:
    """A JSON body into its request struct, with the answers Litestar's own decoding gives
    (through the same error handler: field names, shortened echoes, a missing body)."""
    if not body.strip():
        raise ValidationException(
            detail="missing body", extra=[{"key": "data", "message": "'data'"}]
        )
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise ValidationException(
            detail=str(exc), extra=[{"key": "data", "message": str(exc)}]
        ) from exc
    except msgspec.DecodeError as exc:
        raise ValidationFailed(f"The body is not valid JSON: {exc}", code="bad_request") from exc


def _reply(
    channel_id: int,
    reference: MessageReferenceIn | None,
    mentions: AllowedMentionsIn | None,
) -> Reply | None:
    """The body's message_reference (and allowed_mentions.replied_user) for the use case."""
    if reference is None:
        return None
    if reference.channel_id is not None and int(reference.channel_id) != channel_id:
        raise ValidationFailed(
            "A reply must be in the channel of the message it replies to.",
            code="unknown_message_reference",
            field="message_reference",
        )
    return Reply(
        int(reference.message_id),
        fail_if_not_exists=reference.fail_if_not_exists,
        mention_author=mentions.replied_user if mentions is not None else True,
    )


def _posted(container: Services, posted: Any) -> Response[MessageOut]:
    status = HTTP_201_CREATED if posted.created else 200
    return Response(message_out(posted.message, container.files.linker.link), status_code=status)


async def _post_with_files(
    request: Request[Any, Any, Any], container: Services, identity: Identity, channel_id: int
) -> Response[MessageOut]:
    """Refuse a caller who cannot post here before reading the body; then stream the files
    in, and post."""
    await container.messages.check_can_post(identity, channel_id)
    await enforce(container, f"upload:{identity.user_id}", "upload_per_user", request)
    receiver = FormReceiver(container.settings.upload_path, container.file_limits)
    async with receiver.receive(request) as form:
        if form.payload is None:
            raise ValidationFailed(f"{PAYLOAD_FIELD} is required.", field=PAYLOAD_FIELD)
        payload = _decode(form.payload, PostFilesPayloadIn)
        posted = await container.messages.post(
            identity,
            channel_id,
            payload.content,
            payload.nonce,
            uploads=form.uploads,
            admit=partial(spend_route_budget, request, container, identity),
            reply=_reply(channel_id, payload.message_reference, payload.allowed_mentions),
        )
    return _posted(container, posted)


def _post_message_body() -> RequestBody:
    text = Schema(type=OpenAPIType.STRING, max_length=limits.MESSAGE_MAX)
    nonce = Schema(
        one_of=[
            Schema(type=OpenAPIType.STRING, min_length=1, max_length=limits.NONCE_MAX),
            Schema(type=OpenAPIType.NULL),
        ]
    )
    json_body = Schema(
        type=OpenAPIType.OBJECT,
        properties={
            "content": Schema(type=OpenAPIType.STRING, min_length=1, max_length=limits.MESSAGE_MAX),
            "nonce": nonce,
        },
        required=["content"],
        additional_properties=False,
    )
    payload = Schema(
        type=OpenAPIType.OBJECT,
        properties={"content": text, "nonce": nonce},
        additional_properties=False,
    )
    form = Schema(
        type=OpenAPIType.OBJECT,
        properties={
            PAYLOAD_FIELD: payload,
            **{
                f"files[{n}]": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                for n in range(10)
            },
        },
        required=[PAYLOAD_FIELD],
        description="At most 10 files of 25 MiB each, 50 MiB together (by default).",
    )
    return RequestBody(
        required=True,
        content={
            "application/json": OpenAPIMediaType(schema=json_body),
            "multipart/form-data": OpenAPIMediaType(schema=form),
        },
    )


@dataclass
class _PostMessageOperation(Operation):
    """Documents both bodies the handler reads itself (JSON, or multipart with files)."""

    def __post_init__(self) -> None:
        self.request_body = _post_message_body()


PageLimit = Annotated[int | None, Parameter(ge=1, le=limits.PAGE_LIMIT_MAX)]


class ChannelController(Controller):
    path = "/channels"
    tags = ["channels"]

    @get("/{channel_id:int}")
    async def get_channel(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> ChannelOut:
        return channel_out(await container.channels.get(identity, channel_id))

    @patch("/{channel_id:int}")
    async def update(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        data: JSONBody[UpdateChannelIn],
        reason: ReasonHeader = None,
    ) -> ChannelOut:
        """Rename, change the topic, or move (the others are renumbered 0..n-1)."""
        channel = await container.channels.update(
            identity,
            channel_id,
            name=data.name,
            topic=data.topic,
            position=data.position,
            reason=audit_reason(reason),
        )
        return channel_out(channel)

    @delete("/{channel_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_channel(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        reason: ReasonHeader = None,
    ) -> None:
        await container.channels.delete(identity, channel_id, reason=audit_reason(reason))

    @post(
        "/{channel_id:int}/typing",
        status_code=HTTP_204_NO_CONTENT,
        opt={RATE: "typing_per_channel", RATE_KEY: "channel_id"},
    )
    async def typing(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> None:
        """Tell the channel's members you are typing (they show it for about 10 s)."""
        await container.messages.typing(identity, channel_id)


class MessageController(Controller):
    path = "/channels/{channel_id:int}/messages"
    tags = ["messages"]

    @get("/")
    async def history(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        before: Cursor = None,
        after: Cursor = None,
        around: Cursor = None,
        limit: PageLimit = None,
    ) -> list[MessageOut]:
        """A page of messages, newest first (at most one of before / after / around)."""
        page = await container.messages.history(
            identity, channel_id, before=before, after=after, around=around, limit=limit
        )
        link = container.files.linker.link
        return [message_out(view, link) for view in page]

    @post(
        "/",
        opt={
            RATE: "message_per_channel",
            RATE_KEY: "channel_id",
            RATE_DEFERRED: True,
            MULTIPART: True,
        },
        operation_class=_PostMessageOperation,
    )
    async def post_message(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
    ) -> Response[MessageOut]:
        """Post a message: a JSON body, or multipart/form-data with `payload_json` (the same
        fields; `content` may be empty) and `files[0]` .. `files[9]`. Resending the same
        nonce returns the first message (200) instead of a copy, without spending the
        channel's send budget."""
        if request.content_type[0] == RequestEncodingType.MULTI_PART:
            return await _post_with_files(request, container, identity, channel_id)
        data = _decode(await request.body(), PostMessageIn)
        posted = await container.messages.post(
            identity,
            channel_id,
            data.content,
            data.nonce,
            admit=partial(spend_route_budget, request, container, identity),
            reply=_reply(channel_id, data.message_reference, data.allowed_mentions),
        )
        return _posted(container, posted)

    @get("/{message_id:int}")
    async def get_message(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> MessageOut:
        view = await container.messages.get(identity, channel_id, message_id)
        return message_out(view, container.files.linker.link)

    @patch("/{message_id:int}")
    async def edit(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        data: JSONBody[EditMessageIn],
    ) -> MessageOut:
        """Edit your own message; it is marked with edited_at."""
        view = await container.messages.edit(identity, channel_id, message_id, data.content)
        return message_out(view, container.files.linker.link)

    @delete("/{message_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_message(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        reason: ReasonHeader = None,
    ) -> None:
        """Delete your own message, or anyone's as a moderator or above (audited)."""
        await container.messages.delete(
            identity, channel_id, message_id, reason=audit_reason(reason)
        )

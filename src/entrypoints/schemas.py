"""The wire shapes (msgspec Structs) shared by REST responses, the OpenAPI schema and the
gateway, and the presenters that build them from domain objects.

IDs are strings: Godot and JavaScript parse JSON numbers as doubles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from discord_core import limits
from discord_core.model import (
    Channel,
    Invite,
    Member,
    MemberView,
    Message,
    MessageView,
    Server,
    ServerSnapshot,
    User,
)
from discord_core.usecases import SearchHit, SearchResults

Id = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,19}$", examples=["1307302048210944"])]
RoleName = Literal["owner", "admin", "moderator", "member"]
StatusName = Literal["online", "away", "dnd", "invisible"]
PresenceName = Literal["online", "away", "dnd", "offline"]


class Out(msgspec.Struct, kw_only=True):
    """Base of response shapes."""


# --- users ----------------------------------------------------------------------------------


class UserOut(Out):
    id: Id
    username: str
    created_at: datetime


class MeOut(Out):
    id: Id
    username: str
    email: str
    status: StatusName
    created_at: datetime


class AuthorOut(Out):
    id: Id
    username: str


class TokenOut(Out):
    token: str
    expires_at: datetime
    user: MeOut


def user_out(user: User) -> UserOut:
    return UserOut(id=str(user.id), username=user.username, created_at=user.created_at)


def me_out(user: User) -> MeOut:
    return MeOut(
        id=str(user.id),
        username=user.username,
        email=user.email,
        status=user.status.value,
        created_at=user.created_at,
    )


# --- servers, channels, members -------------------------------------------------------------


class ServerOut(Out):
    id: Id
    name: str
    description: str
    owner_id: Id
    created_at: datetime


class MyServerOut(ServerOut):
    role: RoleName


class ChannelOut(Out):
    id: Id
    server_id: Id
    name: str
    topic: str
    position: int
    created_at: datetime


class ServerDetailOut(ServerOut):
    member_count: int
    role: RoleName
    channels: list[ChannelOut]


class MemberOut(Out, omit_defaults=True):
    server_id: Id
    user: AuthorOut
    role: RoleName
    joined_at: datetime
    presence: PresenceName | msgspec.UnsetType = msgspec.UNSET
    """In REST answers; gateway events leave it out (presence comes as PRESENCE_UPDATE)."""


def server_out(server: Server) -> ServerOut:
    return ServerOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        created_at=server.created_at,
    )


def my_server_out(server: Server, member: Member) -> MyServerOut:
    return MyServerOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        created_at=server.created_at,
        role=member.role.value,
    )


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=str(channel.id),
        server_id=str(channel.server_id),
        name=channel.name,
        topic=channel.topic,
        position=channel.position,
        created_at=channel.created_at,
    )


def server_detail_out(snap: ServerSnapshot) -> ServerDetailOut:
    server = snap.server
    return ServerDetailOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        created_at=server.created_at,
        member_count=snap.member_count,
        role=snap.member.role.value,
        channels=[channel_out(c) for c in snap.channels],
    )


def member_out(view: MemberView, presence: str | None = None) -> MemberOut:
    member = view.member
    return MemberOut(
        server_id=str(member.server_id),
        user=AuthorOut(id=str(member.user_id), username=view.username),
        role=member.role.value,
        joined_at=member.joined_at,
        presence=presence if presence is not None else msgspec.UNSET,  # type: ignore[arg-type]
    )


# --- messages -------------------------------------------------------------------------------


class MessageOut(Out):
    id: Id
    channel_id: Id
    server_id: Id
    author: AuthorOut
    content: str
    created_at: datetime
    edited_at: datetime | None
    nonce: str | None


def message_out(view: MessageView) -> MessageOut:
    message: Message = view.message
    return MessageOut(
        id=str(message.id),
        channel_id=str(message.channel_id),
        server_id=str(message.server_id),
        author=AuthorOut(id=str(message.author_id), username=view.author_username),
        content=message.content,
        created_at=message.created_at,
        edited_at=message.edited_at,
        nonce=message.nonce,
    )


class SearchMessageOut(MessageOut):
    highlights: list[tuple[int, int]]
    """Where the query's words are in `content`: [start, end) offsets in Unicode code points."""


class SearchOut(Out):
    total_results: int
    """Matching messages, counted up to 5,000."""
    total_results_exact: bool
    """False when more than 5,000 match (total_results is then 5,000)."""
    messages: list[SearchMessageOut]


def search_out(results: SearchResults) -> SearchOut:
    return SearchOut(
        total_results=results.total,
        total_results_exact=results.exact,
        messages=[search_message_out(hit) for hit in results.hits],
    )


def search_message_out(hit: SearchHit) -> SearchMessageOut:
    message: Message = hit.message.message
    return SearchMessageOut(
        id=str(message.id),
        channel_id=str(message.channel_id),
        server_id=str(message.server_id),
        author=AuthorOut(id=str(message.author_id), username=hit.message.author_username),
        content=message.content,
        created_at=message.created_at,
        edited_at=message.edited_at,
        nonce=message.nonce,
        highlights=hit.highlights,
    )


# --- invites --------------------------------------------------------------------------------


class InviteOut(Out):
    code: str
    server_id: Id
    inviter_id: Id
    created_at: datetime
    expires_at: datetime | None
    max_uses: int
    uses: int


class ServerBriefOut(Out):
    id: Id
    name: str
    description: str


class InvitePreviewOut(Out):
    code: str
    server: ServerBriefOut
    member_count: int
    expires_at: datetime | None


def invite_out(invite: Invite) -> InviteOut:
    return InviteOut(
        code=invite.code,
        server_id=str(invite.server_id),
        inviter_id=str(invite.inviter_id),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        max_uses=invite.max_uses,
        uses=invite.uses,
    )


# --- errors ---------------------------------------------------------------------------------


class ErrorOut(Out, omit_defaults=True):
    """The one error shape of every failed request."""

    code: str
    message: str
    field: str | None = None
    retry_after: float | None = None
    is_global: bool | None = msgspec.field(default=None, name="global")
    """429 only: the per-user budget of all routes ran out (Discord's global limit)."""
    scope: str | None = None
    """429 only: whose budget ran out: "user", "global", "shared" (one account) or "ip"."""


# --- request bodies -------------------------------------------------------------------------


class In(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are an error, not silently dropped."""


def _text(max_len: int, min_len: int = 0) -> msgspec.Meta:
    """The limits, for OpenAPI readers. Not checked here: the core strips white space first,
    then checks (2000 characters plus surrounding spaces is a valid message)."""
    return msgspec.Meta(
        description=f"{min_len}-{max_len} characters after stripping surrounding white space."
    )


class RegisterIn(In):
    username: Annotated[str, _text(limits.USERNAME_MAX, 1)]
    email: Annotated[str, _text(limits.EMAIL_MAX, 1)]
    password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)]


# A username or an email: never a control character. Checked here because the login is looked
# up as it is, and PostgreSQL refuses NUL in text (a 500 otherwise).
LoginName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=limits.EMAIL_MAX, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class LoginIn(In):
    login: LoginName
    password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)]


class LogoutIn(In):
    everywhere: bool = False


class UpdateMeIn(In):
    username: Annotated[str, _text(limits.USERNAME_MAX, 1)] | None = None
    email: Annotated[str, _text(limits.EMAIL_MAX, 1)] | None = None
    status: StatusName | None = None
    password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)] | None = None
    current_password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)] | None = None


class CreateServerIn(In):
    name: Annotated[str, _text(limits.SERVER_NAME_MAX, 1)]
    description: Annotated[str, _text(limits.SERVER_DESCRIPTION_MAX)] = ""


class UpdateServerIn(In):
    name: Annotated[str, _text(limits.SERVER_NAME_MAX, 1)] | None = None
    description: Annotated[str, _text(limits.SERVER_DESCRIPTION_MAX)] | None = None


class TransferIn(In):
    user_id: Id


class SetRoleIn(In):
    role: RoleName


class CreateInviteIn(In):
    max_age: Annotated[int, msgspec.Meta(ge=0, le=limits.INVITE_MAX_AGE_MAX)] = 86_400
    max_uses: Annotated[int, msgspec.Meta(ge=0, le=limits.INVITE_MAX_USES_MAX)] = 0


Position = Annotated[int, msgspec.Meta(ge=0, le=limits.CHANNELS_PER_SERVER_MAX)]


class CreateChannelIn(In):
    name: Annotated[str, _text(limits.CHANNEL_NAME_MAX, 1)]
    topic: Annotated[str, _text(limits.CHANNEL_TOPIC_MAX)] = ""
    position: Position | None = None


class UpdateChannelIn(In):
    name: Annotated[str, _text(limits.CHANNEL_NAME_MAX, 1)] | None = None
    topic: Annotated[str, _text(limits.CHANNEL_TOPIC_MAX)] | None = None
    position: Position | None = None


class PostMessageIn(In):
    content: Annotated[str, _text(limits.MESSAGE_MAX, 1)]
    nonce: Annotated[str, _text(limits.NONCE_MAX, 1)] | None = None


class EditMessageIn(In):
    content: Annotated[str, _text(limits.MESSAGE_MAX, 1)]

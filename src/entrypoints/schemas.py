"""The wire shapes (msgspec Structs) shared by REST responses, the OpenAPI schema and the
gateway, and the presenters that build them from domain objects.

IDs are strings: Godot and JavaScript parse JSON numbers as doubles.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import msgspec

from discord_core import limits
from discord_core.errors import ValidationFailed
from discord_core.model import (
    Attachment,
    AuditEntry,
    BanView,
    Bot,
    Channel,
    Invite,
    Member,
    MemberView,
    Message,
    MessageView,
    Server,
    ServerSnapshot,
    User,
    shown_username,
)
from discord_core.usecases import SearchHit, SearchResults, SignedLink, Variant

from .paths import API_PREFIX

Id = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,19}$", examples=["1307302048210944"])]
RoleName = Literal["owner", "admin", "moderator", "member"]
StatusName = Literal["online", "away", "dnd", "invisible"]
PresenceName = Literal["online", "away", "dnd", "offline"]


class Out(msgspec.Struct, kw_only=True):
    """Base of response shapes."""


LinkAttachment = Callable[[Attachment, Variant], SignedLink]
"""Signs a link to an attachment's file (`discord_core.usecases.Linker.link`)."""


def avatar_url(user_id: int, version: str | None) -> str | None:
    """The 128 px avatar (`?size=512` for the large one), or None without an avatar."""
    if version is None:
        return None
    return f"{API_PREFIX}/avatars/{user_id}/{version}.png"


def opt_id(value: int | None) -> str | None:
    return str(value) if value is not None else None


def icon_url(server_id: int, version: str | None) -> str | None:
    if version is None:
        return None
    return f"{API_PREFIX}/icons/{server_id}/{version}.png"


# --- users ----------------------------------------------------------------------------------


class UserOut(Out, omit_defaults=True):
    id: Id
    username: str
    avatar_url: str | None
    created_at: datetime
    bot: bool = False
    """Only sent (true) for bot accounts, as Discord does."""


class MeOut(Out, omit_defaults=True):
    id: Id
    username: str
    email: str
    status: StatusName
    avatar_url: str | None
    created_at: datetime
    bot: bool = False


class AuthorOut(Out, omit_defaults=True):
    id: Id
    username: str
    avatar_url: str | None
    bot: bool = False


class TokenOut(Out):
    token: str
    expires_at: datetime
    user: MeOut


def user_out(user: User) -> UserOut:
    return UserOut(
        id=str(user.id),
        username=shown_username(user.username),
        avatar_url=avatar_url(user.id, user.avatar),
        created_at=user.created_at,
        bot=user.bot,
    )


def me_out(user: User) -> MeOut:
    return MeOut(
        id=str(user.id),
        username=user.username,
        email=user.email,
        status=user.status.value,
        avatar_url=avatar_url(user.id, user.avatar),
        created_at=user.created_at,
        bot=user.bot,
    )


class BotOut(Out):
    user: UserOut
    owner_id: Id
    created_at: datetime


class BotTokenOut(BotOut):
    token: str
    """Shown this once: only its hash is kept. Send it as `Authorization: Bot <token>`."""


def bot_out(user: User, bot: Bot) -> BotOut:
    return BotOut(user=user_out(user), owner_id=str(bot.owner_id), created_at=bot.created_at)


def bot_token_out(user: User, bot: Bot, token: str) -> BotTokenOut:
    return BotTokenOut(
        user=user_out(user), owner_id=str(bot.owner_id), created_at=bot.created_at, token=token
    )


# --- servers, channels, members -------------------------------------------------------------


class ServerOut(Out):
    id: Id
    name: str
    description: str
    owner_id: Id
    icon_url: str | None
    created_at: datetime


class MyServerOut(ServerOut):
    role: RoleName


ChannelTypeName = Literal["text", "dm", "group_dm"]


class ChannelOut(Out, omit_defaults=True):
    id: Id
    server_id: Id | None
    """null for a DM or group DM."""
    name: str
    topic: str
    position: int
    created_at: datetime
    last_message_id: Id | None
    """The newest message's id (null: no message yet); unread when above your last_read_id.
    Always sent (no default: omit_defaults leaves it in)."""
    type: ChannelTypeName = "text"
    recipients: list[UserOut] | None = None
    """A DM's or group DM's people, the caller included (the same object goes to each)."""
    owner_id: Id | None = None
    """A group DM's creator."""


class ServerDetailOut(ServerOut):
    member_count: int
    role: RoleName
    communication_disabled_until: datetime | None
    """The caller's own timeout in this server (null: none)."""
    channels: list[ChannelOut]


class MemberOut(Out, omit_defaults=True):
    server_id: Id
    user: AuthorOut
    role: RoleName
    joined_at: datetime
    communication_disabled_until: datetime | None
    """The end of the member's timeout (null: not timed out; a past time: it has ended)."""
    presence: PresenceName | msgspec.UnsetType = msgspec.UNSET
    """In REST answers; gateway events leave it out (presence comes as PRESENCE_UPDATE)."""


def server_out(server: Server) -> ServerOut:
    return ServerOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        icon_url=icon_url(server.id, server.icon),
        created_at=server.created_at,
    )


def my_server_out(server: Server, member: Member) -> MyServerOut:
    return MyServerOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        icon_url=icon_url(server.id, server.icon),
        created_at=server.created_at,
        role=member.role.value,
    )


def channel_out(channel: Channel) -> ChannelOut:
    private = channel.private
    return ChannelOut(
        id=str(channel.id),
        server_id=opt_id(channel.server_id),
        name=channel.name,
        topic=channel.topic,
        position=channel.position,
        created_at=channel.created_at,
        type=channel.type.value,
        recipients=[user_out(user) for user in channel.recipients] if private else None,
        owner_id=opt_id(channel.owner_id),
        last_message_id=str(channel.last_message_id) if channel.last_message_id else None,
    )


def server_detail_out(snap: ServerSnapshot) -> ServerDetailOut:
    server = snap.server
    return ServerDetailOut(
        id=str(server.id),
        name=server.name,
        description=server.description,
        owner_id=str(server.owner_id),
        icon_url=icon_url(server.id, server.icon),
        created_at=server.created_at,
        member_count=snap.member_count,
        role=snap.member.role.value,
        communication_disabled_until=snap.member.communication_disabled_until,
        channels=[channel_out(c) for c in snap.channels],
    )


def member_out(view: MemberView, presence: str | None = None) -> MemberOut:
    member = view.member
    return MemberOut(
        server_id=str(member.server_id),
        user=AuthorOut(
            id=str(member.user_id),
            username=shown_username(view.username),
            avatar_url=avatar_url(member.user_id, view.avatar),
            bot=view.bot,
        ),
        role=member.role.value,
        joined_at=member.joined_at,
        communication_disabled_until=member.communication_disabled_until,
        presence=presence if presence is not None else msgspec.UNSET,  # type: ignore[arg-type]
    )


# --- moderation -----------------------------------------------------------------------------


class BanOut(Out):
    user: AuthorOut
    reason: str | None
    created_at: datetime


def ban_out(view: BanView) -> BanOut:
    ban = view.ban
    return BanOut(
        user=AuthorOut(
            id=str(ban.user_id),
            username=shown_username(view.username),
            avatar_url=avatar_url(ban.user_id, view.avatar),
        ),
        reason=ban.reason,
        created_at=ban.created_at,
    )


class AuditChangeOut(Out):
    key: str
    old_value: str | int | bool | None
    new_value: str | int | bool | None


class AuditEntryOut(Out):
    id: Id
    action: str
    actor_id: Id
    target_id: Id | None
    changes: list[AuditChangeOut]
    reason: str | None
    created_at: datetime


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=str(entry.id),
        action=entry.action.value,
        actor_id=str(entry.actor_id),
        target_id=str(entry.target_id) if entry.target_id is not None else None,
        changes=[AuditChangeOut(c.key, c.old_value, c.new_value) for c in entry.changes],
        reason=entry.reason,
        created_at=entry.created_at,
    )


# --- messages -------------------------------------------------------------------------------


class AttachmentOut(Out, omit_defaults=True):
    """A message's file. `url` and `thumbnail_url` are signed and expire (a day by default):
    a plain GET works; take fresh ones from the message when they are old."""

    id: Id
    filename: str
    content_type: str
    size: int
    url: str
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None
    """Images only: a WebP at most 400 px wide and high."""


class MessageReferenceOut(Out):
    message_id: Id
    channel_id: Id
    server_id: Id | None


class ReferencedMessageOut(Out):
    """The message a reply replies to, as the reply shows it (a quoted line)."""

    id: Id
    channel_id: Id
    author: AuthorOut
    content: str
    created_at: datetime
    edited_at: datetime | None
    attachments: list[AttachmentOut]


class ReactionOut(Out):
    emoji: str
    count: int
    me: bool
    """Whether you reacted with it."""


class MessageOut(Out):
    id: Id
    channel_id: Id
    server_id: Id | None
    """null in a DM or group DM."""
    author: AuthorOut
    content: str
    created_at: datetime
    edited_at: datetime | None
    nonce: str | None
    attachments: list[AttachmentOut]
    message_reference: MessageReferenceOut | None = None
    """Set on replies: the message replied to (kept when that one is deleted)."""
    referenced_message: ReferencedMessageOut | None = None
    """The replied-to message; null on a reply whose original was deleted."""
    pinned: bool = False
    reactions: list[ReactionOut] | msgspec.UnsetType = msgspec.UNSET
    """In REST answers (`me` is yours); gateway events leave it out: keep what you have and
    apply MESSAGE_REACTION_* events."""
    mentions: list[Id] = msgspec.field(default_factory=list)
    """Ids of the users it mentions (`<@id>` in content) who can see the channel."""
    mention_everyone: bool = False
    """@everyone / @here by a moderator or above: it mentions everyone in the channel."""


def _signed(path: str, link: SignedLink) -> str:
    return f"{path}?ex={link.expires}&sig={link.signature}"


def attachment_out(attachment: Attachment, link: LinkAttachment) -> AttachmentOut:
    base = f"{API_PREFIX}/attachments/{attachment.channel_id}/{attachment.id}"
    url = _signed(
        f"{base}/{quote(attachment.filename, safe='')}", link(attachment, Variant.ORIGINAL)
    )
    thumbnail = None
    if attachment.has_thumbnail:
        path = f"{API_PREFIX}/thumbnails/{attachment.channel_id}/{attachment.id}.webp"
        thumbnail = _signed(path, link(attachment, Variant.THUMBNAIL))
    return AttachmentOut(
        id=str(attachment.id),
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        url=url,
        width=attachment.width,
        height=attachment.height,
        thumbnail_url=thumbnail,
    )


def _author_out(view: MessageView) -> AuthorOut:
    message = view.message
    return AuthorOut(
        id=str(message.author_id),
        username=shown_username(view.author_username),
        avatar_url=avatar_url(message.author_id, view.author_avatar),
        bot=view.author_bot,
    )


def _reference_parts(
    view: MessageView, link: LinkAttachment
) -> tuple[MessageReferenceOut | None, ReferencedMessageOut | None]:
    message = view.message
    if message.reference_id is None:
        return None, None
    reference = MessageReferenceOut(
        message_id=str(message.reference_id),
        channel_id=str(message.channel_id),
        server_id=opt_id(message.server_id),
    )
    original = view.referenced
    if original is None:
        return reference, None
    return reference, ReferencedMessageOut(
        id=str(original.message.id),
        channel_id=str(original.message.channel_id),
        author=_author_out(original),
        content=original.message.content,
        created_at=original.message.created_at,
        edited_at=original.message.edited_at,
        attachments=[attachment_out(a, link) for a in original.attachments],
    )


def _reactions_out(view: MessageView, with_reactions: bool) -> list[ReactionOut] | Any:
    if not with_reactions or view.reactions is None:
        return msgspec.UNSET
    return [ReactionOut(emoji=r.emoji, count=r.count, me=r.me) for r in view.reactions]


def message_out(
    view: MessageView, link: LinkAttachment, *, with_reactions: bool = True
) -> MessageOut:
    """`with_reactions` False for gateway events (`me` would be one recipient's)."""
    message: Message = view.message
    reference, referenced = _reference_parts(view, link)
    return MessageOut(
        id=str(message.id),
        channel_id=str(message.channel_id),
        server_id=opt_id(message.server_id),
        author=_author_out(view),
        content=message.content,
        created_at=message.created_at,
        edited_at=message.edited_at,
        nonce=message.nonce,
        attachments=[attachment_out(a, link) for a in view.attachments],
        message_reference=reference,
        referenced_message=referenced,
        pinned=message.pinned_at is not None,
        reactions=_reactions_out(view, with_reactions),
        mentions=[str(uid) for uid in message.mentions],
        mention_everyone=message.mention_everyone,
    )


class SearchMessageOut(MessageOut):
    highlights: list[tuple[int, int]] = msgspec.field(default_factory=list)
    """Where the query's words are in `content`: [start, end) offsets in Unicode code points."""


class SearchOut(Out):
    total_results: int
    """Matching messages, counted up to 1,000."""
    total_results_exact: bool
    """False when more than 1,000 match (total_results is then 1,000)."""
    messages: list[SearchMessageOut]


def search_out(results: SearchResults, link: LinkAttachment) -> SearchOut:
    return SearchOut(
        total_results=results.total,
        total_results_exact=results.exact,
        messages=[search_message_out(hit, link) for hit in results.hits],
    )


def search_message_out(hit: SearchHit, link: LinkAttachment) -> SearchMessageOut:
    view = hit.message
    message: Message = view.message
    reference, referenced = _reference_parts(view, link)
    return SearchMessageOut(
        id=str(message.id),
        channel_id=str(message.channel_id),
        server_id=opt_id(message.server_id),
        author=AuthorOut(
            id=str(message.author_id),
            username=view.author_username,
            avatar_url=avatar_url(message.author_id, view.author_avatar),
            bot=view.author_bot,
        ),
        content=message.content,
        created_at=message.created_at,
        edited_at=message.edited_at,
        nonce=message.nonce,
        attachments=[attachment_out(a, link) for a in view.attachments],
        message_reference=reference,
        referenced_message=referenced,
        pinned=message.pinned_at is not None,
        reactions=_reactions_out(view, True),
        mentions=[str(uid) for uid in message.mentions],
        mention_everyone=message.mention_everyone,
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
    icon_url: str | None


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


def picture_change(value: str | msgspec.UnsetType | None, field: str) -> tuple[bytes | None, bool]:
    """A body's avatar / icon field -> (image bytes to set, whether to remove the picture)."""
    if value is msgspec.UNSET:
        return None, False
    if value is None:
        return None, True
    assert isinstance(value, str)
    _, _, encoded = value.partition(";base64,")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            f"{field} must be a base64 data URL of an image.", field=field
        ) from exc
    return data, False


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
    communication_disabled_until: datetime | None = None
    """403 `timed_out` only: when the caller's timeout ends."""


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


DataUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^data:image/[a-z0-9.+-]+;base64,",
        description="An image as a data URL: data:image/png;base64,... (PNG, JPEG, GIF or WebP).",
        examples=["data:image/png;base64,iVBORw0KGgo..."],
    ),
]


class UpdateMeIn(In):
    username: Annotated[str, _text(limits.USERNAME_MAX, 1)] | None = None
    email: Annotated[str, _text(limits.EMAIL_MAX, 1)] | None = None
    status: StatusName | None = None
    password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)] | None = None
    current_password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)] | None = None
    avatar: DataUrl | msgspec.UnsetType | None = msgspec.UNSET
    """A new avatar (resized to 128 and 512 px squares), or null to remove it."""


class DeleteMeIn(In):
    password: Annotated[str, msgspec.Meta(max_length=limits.PASSWORD_MAX)]


class CreateServerIn(In):
    name: Annotated[str, _text(limits.SERVER_NAME_MAX, 1)]
    description: Annotated[str, _text(limits.SERVER_DESCRIPTION_MAX)] = ""


class UpdateServerIn(In):
    name: Annotated[str, _text(limits.SERVER_NAME_MAX, 1)] | None = None
    description: Annotated[str, _text(limits.SERVER_DESCRIPTION_MAX)] | None = None
    icon: DataUrl | msgspec.UnsetType | None = msgspec.UNSET
    """A new icon (resized to 128 and 512 px squares), or null to remove it."""


class TransferIn(In):
    user_id: Id


class CreateBotIn(In):
    username: Annotated[str, _text(limits.USERNAME_MAX, 1)]


class AddMemberIn(In):
    user_id: Id
    """A bot you own (people join with an invite)."""


class UpdateMemberIn(In):
    """Either or both: a new role (admin and above), a timeout (moderator and above)."""

    role: RoleName | None = None
    communication_disabled_until: (
        Annotated[datetime, msgspec.Meta(tz=True)] | msgspec.UnsetType | None
    ) = msgspec.UNSET
    """When the timeout ends (at most 28 days ahead), or null to lift it."""


class BanIn(In):
    reason: Annotated[str, _text(limits.AUDIT_REASON_MAX)] | None = None
    """The reason in the audit log and the bans list (else the X-Audit-Log-Reason header)."""
    delete_message_seconds: Annotated[int, msgspec.Meta(ge=0, le=limits.BAN_DELETE_SECONDS_MAX)] = 0
    """Also delete the user's messages in this server from the last this many seconds."""


class CreateInviteIn(In):
    max_age: Annotated[int, msgspec.Meta(ge=0, le=limits.INVITE_MAX_AGE_MAX)] = 86_400
    max_uses: Annotated[int, msgspec.Meta(ge=0, le=limits.INVITE_MAX_USES_MAX)] = 0


Position = Annotated[int, msgspec.Meta(ge=0, le=limits.CHANNELS_PER_SERVER_MAX)]


class CreateChannelIn(In):
    name: Annotated[str, _text(limits.CHANNEL_NAME_MAX, 1)]
    topic: Annotated[str, _text(limits.CHANNEL_TOPIC_MAX)] = ""
    position: Position | None = None


class OpenChannelIn(In):
    """Either `recipient_id` (a DM, the same one every time) or `recipient_ids` (a new group
    DM of you and 1 to 9 others), never both."""

    recipient_id: Id | None = None
    recipient_ids: (
        Annotated[
            list[Id],
            msgspec.Meta(description="1 to 9 others (the core refuses more: `group_full`)."),
        ]
        | None
    ) = None
    name: Annotated[str, _text(limits.GROUP_DM_NAME_MAX)] | None = None


class UpdateChannelIn(In):
    name: Annotated[str, _text(limits.CHANNEL_NAME_MAX, 1)] | None = None
    topic: Annotated[str, _text(limits.CHANNEL_TOPIC_MAX)] | None = None
    position: Position | None = None


class MessageReferenceIn(In):
    message_id: Id
    fail_if_not_exists: bool = True
    """false: a message_id that is not (or no longer) in this channel is ignored."""
    channel_id: Id | None = None
    """Optional; when given it must be this channel (replies stay in their channel)."""
    server_id: Id | None = None


class AllowedMentionsIn(In):
    replied_user: bool = True
    """false: a reply does not mention the replied-to author."""


class PostMessageIn(In):
    content: Annotated[str, _text(limits.MESSAGE_MAX, 1)]
    nonce: Annotated[str, _text(limits.NONCE_MAX, 1)] | None = None
    message_reference: MessageReferenceIn | None = None
    allowed_mentions: AllowedMentionsIn | None = None


class PostFilesPayloadIn(In):
    """`payload_json` of a multipart post: like PostMessageIn, but the text may be empty."""

    content: Annotated[str, _text(limits.MESSAGE_MAX)] = ""
    nonce: Annotated[str, _text(limits.NONCE_MAX, 1)] | None = None
    message_reference: MessageReferenceIn | None = None
    allowed_mentions: AllowedMentionsIn | None = None


class ReactorOut(Out):
    """Who reacted (GET .../reactions/{emoji})."""

    id: Id
    username: str
    avatar_url: str | None


class EditMessageIn(In):
    content: Annotated[str, _text(limits.MESSAGE_MAX)]
    """May be empty only for a message that carries files."""

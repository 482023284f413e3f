"""Discord v10 object shapes, built from Concord's own wire shapes (the v1 JSON the REST
presenters and the gateway produce), so REST answers and gateway dispatches are re-shaped by
the same functions.

Servers are guilds, channels are text channels (type 0), and the role ladder is shown as
roles: @everyone (its id is the guild's, as Discord's) for members, then one role each for
moderator, admin and owner, whose permission bits are what `discord_core.permissions`
allows that rank (nothing is decided here: the core decides every request).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from discord_core.model import Role
from discord_core.permissions import Action, can

JSON = dict[str, Any]

# Discord permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE: Final = 1 << 0
KICK_MEMBERS: Final = 1 << 1
ADMINISTRATOR: Final = 1 << 3
MANAGE_CHANNELS: Final = 1 << 4
MANAGE_GUILD: Final = 1 << 5
ADD_REACTIONS: Final = 1 << 6
VIEW_CHANNEL: Final = 1 << 10
SEND_MESSAGES: Final = 1 << 11
MANAGE_MESSAGES: Final = 1 << 13
EMBED_LINKS: Final = 1 << 14
ATTACH_FILES: Final = 1 << 15
READ_MESSAGE_HISTORY: Final = 1 << 16
MENTION_EVERYONE: Final = 1 << 17
MANAGE_ROLES: Final = 1 << 28

ACTION_BITS: Final[dict[Action, int]] = {
    Action.READ: VIEW_CHANNEL | READ_MESSAGE_HISTORY,
    Action.POST_MESSAGE: SEND_MESSAGES | ADD_REACTIONS | EMBED_LINKS | ATTACH_FILES,
    Action.DELETE_ANY_MESSAGE: MANAGE_MESSAGES,
    Action.KICK_MEMBER: KICK_MEMBERS,
    Action.MANAGE_CHANNELS: MANAGE_CHANNELS,
    Action.MANAGE_INVITES: CREATE_INSTANT_INVITE,
    Action.MANAGE_SERVER: MANAGE_GUILD,
    Action.MANAGE_ROLES: MANAGE_ROLES,
    Action.ADD_BOT: 0,
    Action.DELETE_SERVER: ADMINISTRATOR,
    Action.TRANSFER_OWNERSHIP: 0,
    Action.MENTION_EVERYONE: MENTION_EVERYONE,
}
"""Which Discord bits each of the core's actions stands for."""

LADDER_ROLE_IDS: Final[dict[Role, int]] = {Role.MODERATOR: 1, Role.ADMIN: 2, Role.OWNER: 3}
"""The ladder's roles above member (member is @everyone, whose id is the guild's)."""
ROLE_NAMES: Final[dict[Role, str]] = {
    Role.MEMBER: "@everyone",
    Role.MODERATOR: "Moderator",
    Role.ADMIN: "Admin",
    Role.OWNER: "Owner",
}
_POSITION: Final[dict[Role, int]] = {
    Role.MEMBER: 0,
    Role.MODERATOR: 1,
    Role.ADMIN: 2,
    Role.OWNER: 3,
}


def permissions_of(role: Role) -> int:
    bits = 0
    for action, action_bits in ACTION_BITS.items():
        if can(role, action):
            bits |= action_bits
    return bits


def role_ids(role: str) -> list[str]:
    ladder = LADDER_ROLE_IDS.get(Role(role))
    return [str(ladder)] if ladder is not None else []


def roles(guild_id: str) -> list[JSON]:
    return [
        {
            "id": guild_id if role is Role.MEMBER else str(LADDER_ROLE_IDS[role]),
            "name": ROLE_NAMES[role],
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": role is not Role.MEMBER,
            "icon": None,
            "unicode_emoji": None,
            "position": _POSITION[role],
            "permissions": str(permissions_of(role)),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        for role in (Role.MEMBER, Role.MODERATOR, Role.ADMIN, Role.OWNER)
    ]


def _version(url: str | None) -> str | None:
    """The picture version of a Concord avatar / icon path (`.../<id>/<version>.png`):
    Discord's "hash", so `Asset.BASE` set to `<server>/api/v1` finds the same file."""
    if not url:
        return None
    name = url.rsplit("/", 1)[-1]
    return name.split(".", 1)[0] or None


def user(author: JSON) -> JSON:
    """From a v1 User / Me / author."""
    return {
        "id": author["id"],
        "username": author["username"],
        "global_name": None,
        "discriminator": "0",
        "avatar": _version(author.get("avatar_url")),
        "bot": bool(author.get("bot", False)),
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def me(account: JSON) -> JSON:
    return {
        **user(account),
        "verified": True,
        "mfa_enabled": False,
        "email": None,
        "locale": "en-US",
    }


def unknown_user(user_id: str) -> JSON:
    return user({"id": user_id, "username": "unknown"})


def member(view: JSON, *, with_guild: bool = False) -> JSON:
    """From a v1 Member."""
    out: JSON = {
        "user": user(view["user"]),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": role_ids(view["role"]),
        "joined_at": view["joined_at"],
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_guild:
        out["guild_id"] = view["server_id"]
    return out


DM_TYPE: Final = 1
GROUP_DM_TYPE: Final = 3


def channel(c: JSON, me: str | None = None) -> JSON:
    """From a v1 Channel: a guild text channel, a DM (type 1) or a group DM (type 3). A
    private channel's `recipients` are the others (`me`: the viewer, left out as Discord
    does)."""
    if c.get("type") in ("dm", "group_dm"):
        return private_channel(c, me)
    return {
        "id": c["id"],
        "type": 0,
        "guild_id": c["server_id"],
        "name": c["name"],
        "topic": c.get("topic") or None,
        "position": c.get("position", 0),
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "rate_limit_per_user": 0,
        "last_message_id": c.get("last_message_id"),
        "flags": 0,
    }


def private_channel(c: JSON, me: str | None) -> JSON:
    others = [user(u) for u in c.get("recipients") or [] if u["id"] != me]
    out: JSON = {
        "id": c["id"],
        "type": DM_TYPE if c["type"] == "dm" else GROUP_DM_TYPE,
        "last_message_id": c.get("last_message_id"),
        "recipients": others,
        "flags": 0,
    }
    if c["type"] == "group_dm":
        out.update(name=c.get("name") or None, icon=None, owner_id=c.get("owner_id"))
    return out


def guild(
    server: JSON,
    *,
    channels: list[JSON] | None = None,
    members: list[JSON] | None = None,
    presences: list[JSON] | None = None,
) -> JSON:
    """From a v1 Server / ServerDetail. `channels` and `members` (v10 shapes) make it the
    full object of GUILD_CREATE."""
    out: JSON = {
        "id": server["id"],
        "name": server["name"],
        "icon": _version(server.get("icon_url")),
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": server.get("description") or None,
        "owner_id": server["owner_id"],
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles(server["id"]),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "nsfw_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "max_members": 1_000_000,
        "premium_progress_bar_enabled": False,
    }
    if "member_count" in server:
        out["member_count"] = server["member_count"]
        out["approximate_member_count"] = server["member_count"]
    if channels is not None:
        out.update(
            channels=channels,
            members=members or [],
            presences=presences or [],
            voice_states=[],
            threads=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            large=False,
            unavailable=False,
            lazy=True,
            joined_at=server.get("created_at"),
        )
    return out


def partial_guild(server: JSON) -> JSON:
    """For GET /users/@me/guilds (from a v1 Server with the caller's `role`)."""
    role = Role(server["role"])
    return {
        "id": server["id"],
        "name": server["name"],
        "icon": _version(server.get("icon_url")),
        "banner": None,
        "owner": role is Role.OWNER,
        "permissions": str(permissions_of(role)),
        "features": [],
    }


def _absolute(base: str, url: str) -> str:
    return url if "://" in url else base + url


def attachment(a: JSON, base: str) -> JSON:
    url = _absolute(base, a["url"])
    return {
        "id": a["id"],
        "filename": a["filename"],
        "size": a["size"],
        "url": url,
        "proxy_url": url,
        "content_type": a.get("content_type"),
        "width": a.get("width"),
        "height": a.get("height"),
        "ephemeral": False,
        "flags": 0,
    }


def message(
    m: JSON, base: str, *, content: bool = True, users: dict[str, JSON] | None = None
) -> JSON:
    """From a v1 Message. `content=False` empties what the message-content intent guards
    (content, attachments, embeds), as Discord does for a bot without it. `mentions` are
    user objects: those the caller has seen (`users`), else only the id is known
    (`unknown_user`; discord.py takes the guild's cached member by that id)."""
    known = users or {}
    out: JSON = {
        "id": m["id"],
        "channel_id": m["channel_id"],
        "author": user(m["author"]),
        "content": m["content"] if content else "",
        "timestamp": m["created_at"],
        "edited_timestamp": m.get("edited_at"),
        "tts": False,
        "mention_everyone": bool(m.get("mention_everyone", False)),
        "mentions": [known.get(uid) or unknown_user(uid) for uid in m.get("mentions", [])],
        "mention_roles": [],
        "attachments": [attachment(a, base) for a in m.get("attachments", [])] if content else [],
        "embeds": [],
        "pinned": bool(m.get("pinned", False)),
        "type": 0,
        "flags": 0,
        "components": [],
    }
    if m.get("server_id"):
        out["guild_id"] = m["server_id"]
    if m.get("nonce") is not None:
        out["nonce"] = m["nonce"]
    ref = m.get("message_reference")
    if ref:
        out["type"] = 19  # REPLY
        out["message_reference"] = {
            "type": 0,
            "message_id": ref["message_id"],
            "channel_id": ref["channel_id"],
            "guild_id": ref.get("server_id"),
            "fail_if_not_exists": False,
        }
        original = m.get("referenced_message")
        out["referenced_message"] = (
            message({**original, "server_id": m.get("server_id")}, base, content=content)
            if original
            else None
        )
    if m.get("reactions"):
        out["reactions"] = [reaction(r) for r in m["reactions"]]
    return out


def emoji(name: str) -> JSON:
    """Concord's reactions are Unicode emoji: Discord's emoji object without an id."""
    return {"id": None, "name": name}


def reaction(r: JSON) -> JSON:
    return {
        "count": r["count"],
        "count_details": {"burst": 0, "normal": r["count"]},
        "me": r["me"],
        "me_burst": False,
        "burst_colors": [],
        "emoji": emoji(r["emoji"]),
    }


def iso_to_unix(timestamp: str) -> int:
    try:
        return int(datetime.fromisoformat(timestamp).timestamp())
    except ValueError:
        return int(datetime.now(UTC).timestamp())

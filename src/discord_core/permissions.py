"""The role ladder and who may do what. Pure functions over roles; no I/O.

owner > admin > moderator > member.
- member: read, post, edit and delete their own messages, leave.
- moderator: also delete others' messages and reactions, pin messages; kick, ban and time out
  members ranked below them (and ban users who are not members); see and lift bans.
- admin: also manage channels, invites and the server's settings, set roles below admin, add
  bots they own, and read the audit log.
- owner: also delete the server, transfer ownership and export the server.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from .errors import Forbidden
from .model import Role

RANK: Final[dict[Role, int]] = {
    Role.MEMBER: 0,
    Role.MODERATOR: 1,
    Role.ADMIN: 2,
    Role.OWNER: 3,
}


class Action(StrEnum):
    READ = "read"
    POST_MESSAGE = "post_message"
    DELETE_ANY_MESSAGE = "delete_any_message"
    MANAGE_REACTIONS = "manage_reactions"
    MANAGE_PINS = "manage_pins"
    KICK_MEMBER = "kick_member"
    BAN_MEMBER = "ban_member"
    TIMEOUT_MEMBER = "timeout_member"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_INVITES = "manage_invites"
    MANAGE_SERVER = "manage_server"
    MANAGE_ROLES = "manage_roles"
    ADD_BOT = "add_bot"
    DELETE_SERVER = "delete_server"
    TRANSFER_OWNERSHIP = "transfer_ownership"
    EXPORT_SERVER = "export_server"
    MENTION_EVERYONE = "mention_everyone"


MINIMUM_ROLE: Final[dict[Action, Role]] = {
    Action.READ: Role.MEMBER,
    Action.POST_MESSAGE: Role.MEMBER,
    Action.DELETE_ANY_MESSAGE: Role.MODERATOR,
    Action.MANAGE_REACTIONS: Role.MODERATOR,
    Action.MANAGE_PINS: Role.MODERATOR,
    Action.KICK_MEMBER: Role.MODERATOR,
    Action.BAN_MEMBER: Role.MODERATOR,
    Action.TIMEOUT_MEMBER: Role.MODERATOR,
    Action.VIEW_AUDIT_LOG: Role.ADMIN,
    Action.MANAGE_CHANNELS: Role.ADMIN,
    Action.MANAGE_INVITES: Role.ADMIN,
    Action.MANAGE_SERVER: Role.ADMIN,
    Action.MANAGE_ROLES: Role.ADMIN,
    Action.ADD_BOT: Role.ADMIN,
    Action.DELETE_SERVER: Role.OWNER,
    Action.TRANSFER_OWNERSHIP: Role.OWNER,
    Action.EXPORT_SERVER: Role.OWNER,
    Action.MENTION_EVERYONE: Role.MODERATOR,
}

_DESCRIPTIONS: Final[dict[Action, str]] = {
    Action.READ: "read this server",
    Action.POST_MESSAGE: "post messages",
    Action.DELETE_ANY_MESSAGE: "delete other members' messages",
    Action.MANAGE_REACTIONS: "remove other members' reactions",
    Action.MANAGE_PINS: "pin and unpin messages",
    Action.KICK_MEMBER: "kick members",
    Action.BAN_MEMBER: "ban members",
    Action.TIMEOUT_MEMBER: "time out members",
    Action.VIEW_AUDIT_LOG: "read the audit log",
    Action.MANAGE_CHANNELS: "manage channels",
    Action.MANAGE_INVITES: "manage invites",
    Action.MANAGE_SERVER: "change the server's settings",
    Action.MANAGE_ROLES: "change members' roles",
    Action.ADD_BOT: "add bots",
    Action.DELETE_SERVER: "delete the server",
    Action.TRANSFER_OWNERSHIP: "transfer ownership",
    Action.EXPORT_SERVER: "export the server",
    Action.MENTION_EVERYONE: "mention @everyone and @here",
}


def outranks(actor: Role, target: Role) -> bool:
    return RANK[actor] > RANK[target]


def can(role: Role, action: Action) -> bool:
    return RANK[role] >= RANK[MINIMUM_ROLE[action]]


def require(role: Role, action: Action) -> None:
    if not can(role, action):
        needed = MINIMUM_ROLE[action].value
        raise Forbidden(
            f"You need the {needed} role or higher to {_DESCRIPTIONS[action]}.",
            code="missing_permission",
        )


def require_kick(actor: Role, target: Role) -> None:
    require(actor, Action.KICK_MEMBER)
    if not outranks(actor, target):
        raise Forbidden("You can only kick members ranked below you.", code="role_hierarchy")


def require_ban(actor: Role, target: Role | None) -> None:
    """Ban someone ranked below you; `target` None: a user who is not a member (anyone who
    may ban may ban them)."""
    require(actor, Action.BAN_MEMBER)
    if target is not None and not outranks(actor, target):
        raise Forbidden("You can only ban members ranked below you.", code="role_hierarchy")


def require_timeout(actor: Role, target: Role) -> None:
    require(actor, Action.TIMEOUT_MEMBER)
    if not outranks(actor, target):
        raise Forbidden("You can only time out members ranked below you.", code="role_hierarchy")


def require_role_change(actor: Role, target: Role, new_role: Role) -> None:
    """Set a role only on someone ranked below you, and only to a role below yours.

    Ownership moves by transfer, never by a role change.
    """
    require(actor, Action.MANAGE_ROLES)
    if new_role is Role.OWNER:
        raise Forbidden(
            "Ownership is moved with a transfer, not a role change.", code="role_hierarchy"
        )
    if not outranks(actor, target) or not outranks(actor, new_role):
        raise Forbidden(
            "You can only change the roles of members ranked below you, to a role below yours.",
            code="role_hierarchy",
        )


def can_delete_message(actor_id: int, actor_role: Role, author_id: int) -> bool:
    return actor_id == author_id or can(actor_role, Action.DELETE_ANY_MESSAGE)

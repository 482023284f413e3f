"""Mentions in message content: what the text asks for, before anyone is checked.

`<@user_id>` (Discord's form; `<@!user_id>` too) mentions a user; `@everyone` and `@here`
mention everyone who can see the channel, but only when a moderator or above writes them
(for others they are plain text). Who is actually mentioned (only users who can see the
channel) is decided by `usecases.read_states.resolve_mentions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .model import Role, Snowflake
from .permissions import Action, can
from .search import mentioned_user_ids

MENTIONS_MAX: Final = 100
"""At most this many distinct users are taken from one message (2,000 characters hold ~90)."""

_EVERYONE = re.compile(r"@(?:everyone|here)(?![\w])")


@dataclass(frozen=True, slots=True)
class ParsedMentions:
    user_ids: tuple[Snowflake, ...]
    """Each mentioned id once, in order of first mention (not yet checked)."""
    everyone: bool
    """`@everyone` / `@here` written by someone allowed to (moderator and above)."""


def parse(content: str, author_role: Role | None) -> ParsedMentions:
    """What `content` mentions, as its author (with this role in the channel's server; None
    in a DM, where nobody mentions everyone) may mention."""
    ids = tuple(mentioned_user_ids(content)[:MENTIONS_MAX]) if "<@" in content else ()
    everyone = (
        "@" in content
        and author_role is not None
        and can(author_role, Action.MENTION_EVERYONE)
        and _EVERYONE.search(content) is not None
    )
    return ParsedMentions(ids, everyone)

"""What others see of a user's status."""

from __future__ import annotations

from .model import Presence, UserStatus

_SHOWN = {
    UserStatus.ONLINE: Presence.ONLINE,
    UserStatus.AWAY: Presence.AWAY,
    UserStatus.DND: Presence.DND,
    UserStatus.INVISIBLE: Presence.OFFLINE,
}


def visible_presence(status: UserStatus, online: bool) -> Presence:
    """Offline without a live session; invisible always looks offline to others."""
    return _SHOWN[status] if online else Presence.OFFLINE

"""A gateway session: one identified client, its sequence and its replay backlog.

It outlives its socket for the resume window. Dispatches are kept as shared (name, payload)
pairs, so a backlog costs a pointer per event, not a frame per session.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from discord_core.events import Topic
from discord_core.routing import Viewer
from discord_core.usecases import Identity

from .protocol import REPLAY_MAX, dispatch_frame


class Link(Protocol):
    """The socket side of a session (a gateway Connection)."""

    def notify(self, seq: int) -> None: ...
    def request_close(self, code: int, reason: str) -> None: ...


class GatewaySession:
    __slots__ = (
        "_backlog",
        "detached_at",
        "id",
        "identity",
        "invalid",
        "link",
        "seq",
        "topics",
        "watching",
    )

    def __init__(self, session_id: str, identity: Identity, topics: set[str]) -> None:
        self.id = session_id
        self.identity = identity
        self.topics = topics
        """What the session listens to, as str(Topic) (its user's topic included)."""
        self.seq = 0
        self._backlog: deque[tuple[str, str]] | None = None
        """Created on the first dispatch: an idle socket holds no buffer (memory per socket)."""
        self.link: Link | None = None
        self.detached_at: float | None = None
        self.watching: tuple[str, frozenset[int]] | None = None
        """The member-list subscription (op 14): a server topic and the members whose
        presence the session follows there (one subscription at a time)."""
        self.invalid = False
        """Events may have been lost: after its backlog (ending in RESYNC) the client gets
        INVALID_SESSION and identifies again."""

    @property
    def user_id(self) -> int:
        return self.identity.user_id

    @property
    def first_seq(self) -> int:
        """The oldest sequence number still in the backlog."""
        return self.seq - len(self._backlog or ()) + 1

    def viewer(self) -> Viewer:
        topics = frozenset(Topic.parse(topic) for topic in self.topics)
        watching = {}
        if self.watching is not None:
            watching[Topic.parse(self.watching[0])] = self.watching[1]
        return Viewer(self.user_id, self.identity.session_id, topics, watching)

    def dispatch(self, name: str, payload: str) -> None:
        self.seq += 1
        if self._backlog is None:
            self._backlog = deque(maxlen=REPLAY_MAX)
        self._backlog.append((name, payload))
        if self.link is not None:
            self.link.notify(self.seq)

    def frame(self, seq: int) -> str | None:
        """The dispatch frame with this sequence number, if still in the backlog."""
        index = seq - self.first_seq
        if index < 0 or seq > self.seq or self._backlog is None:
            return None
        name, payload = self._backlog[index]
        return dispatch_frame(seq, name, payload)

    def acknowledge(self, seq: int) -> None:
        """The client has everything up to `seq`: those need not be replayed."""
        upto = min(seq, self.seq)
        backlog = self._backlog
        while backlog and self.first_seq <= upto:
            backlog.popleft()

    def can_resume_after(self, seq: int) -> bool:
        """Whether every dispatch after `seq` is still in the backlog."""
        return seq <= self.seq and seq + 1 >= self.first_seq

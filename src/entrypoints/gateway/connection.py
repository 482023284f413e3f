"""One gateway WebSocket: HELLO, IDENTIFY or RESUME, heartbeats, and the frame writer.

The reader and the writer are separate tasks. Only the writer sends on the socket; everything
else queues (control frames) or bumps the session's sequence and wakes it. A socket that falls
more than `send_queue_max` dispatches behind is closed (4000) and never slows anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import msgspec
from litestar import WebSocket
from litestar.types import Send

from discord_core.errors import DomainError, NotFound, Unauthorized
from discord_core.events import Topic
from discord_core.model import UserStatus
from discord_core.usecases import Identity, ReadSnapshot

from .. import read_schemas as rs
from .. import schemas as s
from ..observability import RAW_SEND
from .direct import DirectWriter
from .limits import spend_socket_frame
from .protocol import (
    BEFORE_IDENTIFY_OPS,
    CLEAN_CLIENT_CLOSES,
    CLIENT_OPS,
    HEARTBEAT_GRACE,
    NOT_RESUMABLE,
    ClientFrame,
    Close,
    IdentifyData,
    MemberListData,
    Op,
    PresenceData,
    ProtocolError,
    ResumeData,
    control_frame,
    decode_frame,
    decode_payload,
)
from .session import GatewaySession

if TYPE_CHECKING:
    from .state import GatewayState

log = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
CLOSE_TIMEOUT_S = 2.0


class ReadyOut(s.Out):
    v: int
    session_id: str
    user: s.MeOut
    servers: list[s.ServerDetailOut]
    presences: list[dict[str, str]]
    large_servers: list[str]
    private_channels: list[s.ChannelOut]
    """The user's DMs and group DMs, most recently active first."""
    blocked_user_ids: list[str]
    read_states: list[rs.ReadStateOut] = []
    notification_settings: rs.NotificationSettingsOut | None = None


class MemberListOut(s.Out):
    server_id: str
    after: str
    members: list[s.MemberOut]
    large: bool


def _reads(reads: ReadSnapshot | None) -> dict[str, Any]:
    """READY's #15 fields: a read state for every channel, the notification settings."""
    if reads is None:
        return {}
    return {
        "read_states": [rs.read_state_out(state) for state in reads.read_states],
        "notification_settings": rs.notification_settings_out(reads.notification_settings),
    }


def _frame_data(message: Any) -> str:
    """The text of a frame. No binary encoding is negotiated, so a binary frame is refused."""
    text = message.get("text")
    if isinstance(text, str):
        return text
    raise ProtocolError(
        Close.DECODE_ERROR, "binary frames are not accepted; send JSON in text frames"
    )


def live_sockets_of(state: GatewayState, user_id: int, *, besides: object) -> int:
    """Sockets attached to a session of the user on this instance (a socket being replaced
    by a RESUME no longer is). O(sessions of that user), not O(all sockets)."""
    return sum(
        1
        for session in state.hub.sessions_of(user_id)
        if session.link is not None and session.link is not besides
    )


def _raw_send(socket: WebSocket[Any, Any, Any]) -> Send | None:
    """The ASGI server's own `send`, when the outermost middleware left it in the scope."""
    extra: dict[str, Any] = socket.scope  # type: ignore[assignment]
    return cast("Send | None", extra.get(RAW_SEND))


class Connection:
    __slots__ = (
        "_close",
        "_control",
        "_direct",
        "_handling",
        "_interrupted",
        "_peer_code",
        "_rate_tat",
        "_reader",
        "_timer",
        "_writer",
        "deadline",
        "heartbeat_timeout",
        "hub",
        "identify_timeout",
        "send_queue_max",
        "sent_seq",
        "services",
        "session",
        "socket",
        "state",
        "token_expires",
    )

    def __init__(self, socket: WebSocket[Any, Any, Any], state: GatewayState) -> None:
        self.socket = socket
        self.state = state
        self.services = state.services
        self.hub = state.hub
        self.session: GatewaySession | None = None
        self.sent_seq = 0
        self._control: list[str] = []
        """Control frames due (HELLO, HEARTBEAT_ACK, ...): rare and few, so a list (an empty
        deque costs 600 bytes per socket)."""
        self._writer: asyncio.Task[None] | None = None
        """Started when there is something to send and ends when all is sent: an idle
        socket holds one task, not two (memory per socket)."""
        self._handling = False
        """The reader is handling a client frame (IDENTIFY, RESUME, ...): what that causes
        goes through the writer, control frames first, as before."""
        self._direct = DirectWriter.of(_raw_send(socket))
        self._reader: asyncio.Task[Any] | None = None
        """The handler's task while it is in the read loop (None before and after)."""
        self._interrupted = False
        self._close: tuple[int, str] | None = None
        self._peer_code: int | None = None
        self._rate_tat = 0.0
        interval = self.services.settings.heartbeat_interval_ms / 1000
        self.heartbeat_timeout = interval * HEARTBEAT_GRACE
        self.send_queue_max = self.services.settings.send_queue_max
        # IDENTIFY or RESUME must come soon: an idle socket holds memory and a connection
        self.identify_timeout = min(interval, self.services.settings.identify_timeout_s)
        self.deadline = time.monotonic() + self.identify_timeout
        self.token_expires = math.inf
        """Monotonic time at which the token of the last IDENTIFY or RESUME expires."""
        self._timer: asyncio.TimerHandle | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Read in this (the handler's) task; write in a task started when there is
        something to send."""
        self.state.connections.add(self)
        self._reader = asyncio.current_task()
        self._arm()
        interval = self.services.settings.heartbeat_interval_ms
        self.send_control(control_frame(Op.HELLO, f'{{"heartbeat_interval":{interval}}}'))
        try:
            await self._read_loop()
        except asyncio.CancelledError:
            reader = asyncio.current_task()
            if not self._interrupted or reader is None or reader.cancelling() > 1:
                raise  # cancelled by someone else (the server shutting down)
            reader.uncancel()
        finally:
            # No interrupt may cancel the clean-up below: it detaches the session.
            self._reader = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            writer = self._writer
            if writer is not None:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
            self.state.connections.discard(self)
            await self._finish()

    async def _finish(self) -> None:
        if self._close is not None and self._peer_code is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(*self._close), CLOSE_TIMEOUT_S)
        session = self.session
        if session is None or session.link is not self:
            return
        clean = self._peer_code in CLEAN_CLIENT_CLOSES
        fatal = self._close is not None and self._close[0] in NOT_RESUMABLE
        if clean or fatal:
            self.hub.remove(session)
        else:
            self.hub.detach(session)
        await self.services.gateway.session_ended(session.user_id, session.id)

    def request_close(self, code: int, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
        self._interrupt()

    def _interrupt(self) -> None:
        """Stop reading (from another task: by cancelling the reader's wait)."""
        if self._interrupted:
            return
        self._interrupted = True
        reader = self._reader
        if reader is not None and reader is not asyncio.current_task() and not reader.done():
            reader.cancel()

    def _arm(self) -> None:
        """Wake at the earlier of the deadline and the token's expiry. A heartbeat only moves
        `deadline`: the timer finds that when it fires and sleeps again, so an idle socket
        costs one wake-up per heartbeat timeout (a reaper that looked at every connection
        twice a second was a visible cost with 10,000 sockets)."""
        if self._timer is not None:
            self._timer.cancel()
        due = min(self.deadline, self.token_expires) - time.monotonic()
        # 1 ms late rather than early: the loop's clock has millisecond steps.
        self._timer = asyncio.get_running_loop().call_later(max(0.0, due) + 0.001, self._due)

    def _due(self) -> None:
        self._timer = None
        self.check_deadline(time.monotonic())
        if self._close is None and self._reader is not None:
            self._arm()

    def check_deadline(self, now: float) -> None:
        """Close when IDENTIFY or a heartbeat is overdue, or when the token has expired (as
        REST refuses it then; a client that refreshed its token RESUMEs with the new one)."""
        if self._close is not None:
            return
        if now > self.deadline:
            self.request_close(Close.SESSION_TIMED_OUT, "heartbeat or identify timed out")
        elif now >= self.token_expires:
            self.request_close(
                Close.AUTHENTICATION_FAILED, "token expired; refresh it and identify again"
            )

    # --- writing --------------------------------------------------------------------------

    def send_control(self, frame: str) -> None:
        self._control.append(frame)
        self._wake()

    def _wake(self) -> None:
        """Make sure a writer runs; a running one sees the new work before it ends."""
        if self._writer is None and self._reader is not None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def notify(self, seq: int) -> None:
        if seq - self.sent_seq > self.send_queue_max:
            if self._close is None:
                self.hub.dropped_slow += 1
            self.request_close(Close.UNKNOWN_ERROR, "too slow: send queue full")
        elif (
            self._writer is None
            and not self._handling
            and self._direct is not None
            and self.sent_seq == seq - 1
            and not self._control
            and self._close is None
            and self.session is not None
            and not self.session.invalid  # RESYNC: the writer sends INVALID_SESSION after it
        ):
            # No writer runs and this is the only frame due: write it now, without waking
            # a task per socket (gateway/direct.py: the fan-out's biggest cost after the
            # socket write itself). If it cannot be written now, the writer task sends it.
            frame = self.session.frame(seq)
            if frame is None:
                self._wake()
                return
            try:
                written = self._direct.write(frame)
            except Exception:
                self._interrupt()
                return
            if written:
                self.sent_seq = seq
            else:
                self._wake()
        else:
            self._wake()

    async def _write_loop(self) -> None:
        """Send what is due, control frames first, then end (`_wake` starts another)."""
        raw = _raw_send(self.socket)
        send: Callable[[str], Awaitable[None]] = self.socket.send_text
        if raw is not None:

            async def send_raw(text: str) -> None:
                await raw({"type": "websocket.send", "text": text, "bytes": None})

            send = send_raw
        try:
            while True:
                if self._control:
                    await send(self._control.pop(0))
                    continue
                session = self.session
                if session is not None and session.invalid and self.sent_seq >= session.seq:
                    await self._end_invalid_session(session)
                    continue  # a new IDENTIFY may have come meanwhile
                if session is None or self.sent_seq >= session.seq:
                    return
                frame = session.frame(self.sent_seq + 1)
                if frame is None:
                    self.request_close(Close.UNKNOWN_ERROR, "backlog lost")
                    return
                self.sent_seq += 1
                await send(frame)
        except Exception:  # the socket is gone
            self._interrupt()
        finally:
            self._writer = None

    async def _end_invalid_session(self, session: GatewaySession) -> None:
        """The client has the RESYNC hint: end the session, keep the socket for IDENTIFY."""
        await self.socket.send_text(control_frame(Op.INVALID_SESSION, "false"))
        self.session = None
        session.link = None
        self.hub.remove(session)
        self.deadline = time.monotonic() + self.identify_timeout
        self._arm()
        await self.services.gateway.session_ended(session.user_id, session.id)

    # --- reading --------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while not self._interrupted:
                message = await self.socket.receive()
                if message["type"] == "websocket.disconnect":
                    self._peer_code = int(message.get("code", 1005))
                    break
                self._handling = True
                try:
                    await self._handle(_frame_data(message))
                finally:
                    self._handling = False
        except ProtocolError as exc:
            self.request_close(exc.code, exc.reason)
        except Exception:
            log.exception("gateway connection failed")
            self.request_close(Close.UNKNOWN_ERROR, "internal error")

    def _check_rate(self) -> None:
        """Per user once identified (across its sockets and reconnects), else per socket."""
        now = time.monotonic()
        if self.session is not None:
            self.state.limits.spend_frame(self.session.user_id, now)
        else:
            self._rate_tat = spend_socket_frame(self._rate_tat, now)

    async def _handle(self, data: str | bytes) -> None:
        self._check_rate()
        frame = decode_frame(data)
        try:
            op = Op(frame.op)
        except ValueError:
            raise ProtocolError(Close.UNKNOWN_OPCODE, f"unknown opcode {frame.op}") from None
        if op not in CLIENT_OPS:
            raise ProtocolError(Close.UNKNOWN_OPCODE, f"opcode {op.value} is not for clients")
        if self.session is None and op not in BEFORE_IDENTIFY_OPS:
            raise ProtocolError(Close.NOT_AUTHENTICATED, "identify first")
        if op is Op.HEARTBEAT:
            self._heartbeat(frame)
        elif op is Op.IDENTIFY:
            await self._identify(decode_payload(frame, IdentifyData))
        elif op is Op.RESUME:
            await self._resume(decode_payload(frame, ResumeData))
        elif op is Op.MEMBER_LIST_SUBSCRIBE:
            await self._member_list(decode_payload(frame, MemberListData))
        else:
            await self._set_status(decode_payload(frame, PresenceData))

    def _heartbeat(self, frame: ClientFrame) -> None:
        acked = decode_payload(frame, int | None)  # type: ignore[arg-type]
        if self.session is not None and acked is not None:
            if acked > self.sent_seq:  # the client cannot have it: keep the whole backlog
                raise ProtocolError(
                    Close.INVALID_SEQ,
                    f"heartbeat names seq {acked}, but the last one sent is {self.sent_seq}",
                )
            self.session.acknowledge(acked)
        if self.session is not None:
            self.deadline = time.monotonic() + self.heartbeat_timeout
        self.send_control(control_frame(Op.HEARTBEAT_ACK))

    async def _authenticate(self, token: str) -> Identity:
        if self.session is not None:
            raise ProtocolError(Close.ALREADY_AUTHENTICATED, "already identified")
        try:
            identity = await self.services.token_cache.authenticate(token)  # as REST does
        except Unauthorized:
            raise ProtocolError(Close.AUTHENTICATION_FAILED, "authentication failed") from None
        # The IDENTIFY or RESUME frame counts against the user's budget: a client closed
        # for flooding that reconnects at once is closed again before READY.
        self.state.limits.spend_frame(identity.user_id, time.monotonic())
        if identity.expires_at is None:  # a bot's token: until it is reset (4004 then)
            self.token_expires = math.inf
        else:
            self.token_expires = time.monotonic() + (identity.expires_at.timestamp() - time.time())
            self._arm()
        return identity

    async def _identify(self, data: IdentifyData) -> None:
        identity = await self._authenticate(data.token)
        await self.state.limits.spend_identify(identity.user_id)
        try:
            state = await self.services.gateway.ready(identity)
        except Unauthorized:
            raise ProtocolError(Close.AUTHENTICATION_FAILED, "authentication failed") from None
        session = GatewaySession(
            secrets.token_urlsafe(18), identity, {str(topic) for topic in state.topics}
        )
        ready = ReadyOut(
            v=1,
            session_id=session.id,
            user=s.me_out(state.user),
            servers=[s.server_detail_out(snap) for snap in state.servers],
            presences=[{"user_id": str(uid), "status": p.value} for uid, p in state.presences],
            large_servers=[str(sid) for sid in state.large],
            private_channels=[s.channel_out(channel) for channel in state.private_channels],
            blocked_user_ids=[str(uid) for uid in state.blocked_ids],
            **_reads(state.reads),
        )
        self._attach(session, after_seq=0)
        session.dispatch("READY", _encode(ready).decode())
        # After READY: events the hub holds beyond READY's positions follow it at once.
        self.hub.add(session, {str(topic): seq for topic, seq in state.positions.items()})
        await self.services.gateway.session_started(session.user_id, session.id, state)

    async def _resume(self, data: ResumeData) -> None:
        identity = await self._authenticate(data.token)
        session = self.hub.get(data.session_id)
        if session is None:
            self.send_control(control_frame(Op.INVALID_SESSION, "false"))
            return
        if session.user_id != identity.user_id:
            raise ProtocolError(Close.AUTHENTICATION_FAILED, "not your session")
        if data.seq > session.seq:
            raise ProtocolError(Close.INVALID_SEQ, "seq is ahead of the session")
        if not session.can_resume_after(data.seq):
            self.hub.remove(session)
            self.send_control(control_frame(Op.INVALID_SESSION, "false"))
            return
        previous = session.link
        if previous is not None:  # the old socket is a zombie: the client moved on
            session.link = None
            previous.request_close(Close.UNKNOWN_ERROR, "resumed elsewhere")
        self._attach(session, after_seq=data.seq)
        if session.invalid:
            return  # the replay ends with RESYNC, then INVALID_SESSION
        session.dispatch("RESUMED", "null")
        await self.services.gateway.session_started(session.user_id, session.id)

    def _attach(self, session: GatewaySession, *, after_seq: int) -> None:
        """Bind the session to this socket. Synchronous, so no other IDENTIFY can slip in
        between the per-user count and the attach."""
        cap = self.services.settings.ws_max_per_user
        if live_sockets_of(self.state, session.user_id, besides=self) >= cap:
            raise ProtocolError(
                Close.RATE_LIMITED,
                f"too many gateway sessions for this user (at most {cap}); close one first",
            )
        self.session = session
        self.sent_seq = after_seq
        session.link = self
        session.detached_at = None
        self.deadline = time.monotonic() + self.heartbeat_timeout
        self._wake()

    async def _member_list(self, data: MemberListData) -> None:
        """op 14: show the client that part of the server's member list, with presence, and
        from now on send it the presence of those members (in large servers, only theirs).
        Not a member: an empty list, as for a server that does not exist."""
        session = self.session
        assert session is not None
        server_id, after = int(data.server_id), int(data.after)
        try:
            found = await self.services.gateway.member_list(
                session.identity, server_id, after=after, limit=data.limit
            )
        except NotFound:
            found = None
        except DomainError as exc:
            raise ProtocolError(Close.DECODE_ERROR, exc.message) from exc
        if self.session is not session:
            return  # the session ended while the list was read
        members, large = [], False
        if found is not None and self.hub.watch(
            session, str(Topic.server(server_id)), found.watched
        ):
            members = [s.member_out(view, presence.value) for view, presence in found.members]
            large = found.large
        else:
            self.hub.unwatch(session)
        out = MemberListOut(
            server_id=str(server_id), after=str(after), members=members, large=large
        )
        session.dispatch("MEMBER_LIST", _encode(out).decode())

    async def _set_status(self, data: PresenceData) -> None:
        assert self.session is not None
        try:
            await self.services.users.update_me(
                self.session.identity, status=UserStatus(data.status)
            )
        except DomainError as exc:
            raise ProtocolError(Close.UNKNOWN_ERROR, exc.message) from exc

"""The v10 gateway at /api/v10/gateway: Discord's protocol over the same hub, sessions and
use cases as /api/v1/gateway.

A `DiscordSession` is a gateway session whose dispatches are re-shaped as they arrive: each
v1 event (name, JSON payload) becomes its v10 twin, or nothing when the bot's intents do not
ask for it. The connection speaks Discord's opcodes (IDENTIFY with intents, RESUME,
PRESENCE_UPDATE, REQUEST_GUILD_MEMBERS) and answers IDENTIFY with Discord's READY followed by
one GUILD_CREATE per guild. Frames are JSON text: a client asking for zlib-stream gets plain
text frames, which discord.py and discord.js accept.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import msgspec
from litestar import WebSocket, websocket

from discord_core.errors import DomainError, Unauthorized
from discord_core.model import UserStatus
from discord_core.usecases import Identity

from .. import schemas as s
from ..gateway.connection import Connection
from ..gateway.protocol import (
    ClientFrame,
    Close,
    Op,
    ProtocolError,
    ResumeData,
    control_frame,
    decode_frame,
    decode_payload,
)
from ..gateway.routes import TOO_MANY_CONNECTIONS, _sockets_per_ip, origin_allowed
from ..gateway.session import GatewaySession
from ..gateway.state import GatewayState
from ..http.auth import PUBLIC
from . import shapes
from .rest import GATEWAY_PATH

log = logging.getLogger(__name__)
JSON = dict[str, Any]
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS: Final = 1 << 0
GUILD_MEMBERS: Final = 1 << 1
GUILD_PRESENCES: Final = 1 << 8
GUILD_MESSAGES: Final = 1 << 9
GUILD_MESSAGE_REACTIONS: Final = 1 << 10
GUILD_MESSAGE_TYPING: Final = 1 << 11
DIRECT_MESSAGES: Final = 1 << 12
DIRECT_MESSAGE_REACTIONS: Final = 1 << 13
DIRECT_MESSAGE_TYPING: Final = 1 << 14
MESSAGE_CONTENT: Final = 1 << 15
ALL_INTENTS: Final = (1 << 26) - 1
INVALID_INTENTS: Final = 4013
REQUEST_GUILD_MEMBERS: Final = 8
MEMBERS_IN_GUILD_CREATE: Final = 1000
USER_CACHE_MAX: Final = 10_000

STATUS_IN: Final = {"online": "online", "idle": "away", "dnd": "dnd", "invisible": "invisible"}
STATUS_OUT: Final = {"online": "online", "away": "idle", "dnd": "dnd", "offline": "offline"}


class IdentifyV10(msgspec.Struct, kw_only=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    intents: int | None = None
    properties: dict[str, Any] | None = None
    compress: bool | None = None
    large_threshold: int | None = None
    shard: list[int] | None = None
    presence: dict[str, Any] | None = None


class PresenceV10(msgspec.Struct, kw_only=True):
    status: str = "online"
    since: int | None = None
    activities: list[Any] | None = None
    afk: bool | None = None


class RequestMembersV10(msgspec.Struct, kw_only=True):
    guild_id: str | int
    query: str | None = None
    limit: int = 0
    presences: bool = False
    user_ids: list[str | int] | str | int | None = None
    nonce: str | None = None


def _token(raw: str) -> str:
    return raw[4:].strip() if raw[:4].lower() == "bot " else raw.strip()


class DiscordSession(GatewaySession):
    """A session that hears v1 events and keeps (and replays) their v10 shapes."""

    __slots__ = ("base", "intents", "me", "users")

    def __init__(
        self, session_id: str, identity: Identity, topics: set[str], intents: int, base: str
    ) -> None:
        super().__init__(session_id, identity, topics)
        self.intents = intents
        self.base = base
        """The server's HTTP address (attachment URLs are absolute for bots)."""
        self.me: JSON = {}
        self.users: dict[str, JSON] = {}
        """Users seen (members, authors): GUILD_MEMBER_REMOVE names the user as Discord's."""

    def dispatch_v10(self, name: str, payload: JSON | None) -> None:
        super().dispatch(name, "{}" if payload is None else _encode(payload).decode())

    def dispatch(self, name: str, payload: str) -> None:
        if name == "RESUMED":
            super().dispatch("RESUMED", "{}")  # discord.py reads RESUMED's d as an object
            return
        if name in ("READY", "RESYNC"):  # READY is built by the connection; RESYNC is v1's
            return
        try:
            translated = self._translate(name, _decode(payload))
        except Exception:  # a shape this facade does not know: drop it, never the socket
            log.exception("v10 gateway: could not translate %s", name)
            return
        if translated is not None:
            self.dispatch_v10(*translated)

    def _wants(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def remember(self, user: JSON) -> None:
        if len(self.users) >= USER_CACHE_MAX:
            self.users.clear()
        self.users[user["id"]] = user

    def _translate(self, name: str, d: Any) -> tuple[str, JSON] | None:
        if name in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            guild = bool(d.get("server_id"))
            if not self._wants(GUILD_MESSAGES if guild else DIRECT_MESSAGES):
                return None
            author = shapes.user(d["author"])
            self.remember(author)
            mine = author["id"] == self.me.get("id")
            mentioned = self.me.get("id") in d.get("mentions", ())
            content = self._wants(MESSAGE_CONTENT) or mine or mentioned or not guild
            return name, shapes.message(d, self.base, content=content, users=self.users)
        if name == "MESSAGE_DELETE":
            if not self._wants(GUILD_MESSAGES if d.get("server_id") else DIRECT_MESSAGES):
                return None
            out: JSON = {"id": d["id"], "channel_id": d["channel_id"]}
            if d.get("server_id"):
                out["guild_id"] = d["server_id"]
            return name, out
        if name in ("CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE"):
            intent = GUILDS if d.get("server_id") else DIRECT_MESSAGES
            return (name, shapes.channel(d, self.me.get("id"))) if self._wants(intent) else None
        if name == "SERVER_CREATE":
            if not self._wants(GUILDS):
                return None
            own = self._own_member(d["role"])
            channels = [shapes.channel(c) for c in d.get("channels", [])]
            return "GUILD_CREATE", shapes.guild(d, channels=channels, members=[own])
        if name == "SERVER_UPDATE":
            return ("GUILD_UPDATE", shapes.guild(d)) if self._wants(GUILDS) else None
        if name == "SERVER_DELETE":
            return ("GUILD_DELETE", {"id": d["id"]}) if self._wants(GUILDS) else None
        if name in ("MEMBER_ADD", "MEMBER_UPDATE"):
            member = shapes.member(d, with_guild=True)
            self.remember(member["user"])
            if not self._wants(GUILD_MEMBERS):
                return None
            return ("GUILD_MEMBER_ADD" if name == "MEMBER_ADD" else "GUILD_MEMBER_UPDATE"), member
        if name == "MEMBER_REMOVE":
            if not self._wants(GUILD_MEMBERS):
                return None
            user = self.users.get(d["user_id"]) or shapes.unknown_user(d["user_id"])
            return "GUILD_MEMBER_REMOVE", {"guild_id": d["server_id"], "user": user}
        if name == "PRESENCE_UPDATE":
            if not self._wants(GUILD_PRESENCES) or not d.get("server_id"):
                return None  # Discord sends bots presences per guild only
            status = STATUS_OUT.get(d["status"], "offline")
            return name, {
                "user": {"id": d["user_id"]},
                "guild_id": d["server_id"],
                "status": status,
                "activities": [],
                "client_status": {} if status == "offline" else {"desktop": status},
            }
        if name == "TYPING_START":
            guild = bool(d.get("server_id"))
            if not self._wants(GUILD_MESSAGE_TYPING if guild else DIRECT_MESSAGE_TYPING):
                return None
            typing: JSON = {
                "channel_id": d["channel_id"],
                "user_id": d["user_id"],
                "timestamp": shapes.iso_to_unix(d["timestamp"]),
            }
            if guild:
                typing["guild_id"] = d["server_id"]
            return name, typing
        if name in ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"):
            if not self._wants(self._reactions_intent(d)):
                return None
            out = self._reaction_target(d)
            out.update(user_id=d["user_id"], emoji=shapes.emoji(d["emoji"]), burst=False, type=0)
            return name, out
        if name == "MESSAGE_REACTION_REMOVE_ALL":
            if not self._wants(self._reactions_intent(d)):
                return None
            return name, self._reaction_target(d)
        if name == "MESSAGE_REACTION_REMOVE_EMOJI":
            if not self._wants(self._reactions_intent(d)):
                return None
            return name, {**self._reaction_target(d), "emoji": shapes.emoji(d["emoji"])}
        if name == "CHANNEL_PINS_UPDATE":
            if not self._wants(GUILDS if d.get("server_id") else DIRECT_MESSAGES):
                return None
            out = {"channel_id": d["channel_id"], "last_pin_timestamp": d.get("last_pin_timestamp")}
            if d.get("server_id"):
                out["guild_id"] = d["server_id"]
            return name, out
        if name == "USER_UPDATE":
            self.me = shapes.me(d)
            return name, self.me
        return None  # not a Discord event (or not one this facade maps yet)

    @staticmethod
    def _reactions_intent(d: JSON) -> int:
        return GUILD_MESSAGE_REACTIONS if d.get("server_id") else DIRECT_MESSAGE_REACTIONS

    @staticmethod
    def _reaction_target(d: JSON) -> JSON:
        out: JSON = {"channel_id": d["channel_id"], "message_id": d["message_id"]}
        if d.get("server_id"):
            out["guild_id"] = d["server_id"]
        return out

    def _own_member(self, role: str) -> JSON:
        me = {"id": self.me["id"], "username": self.me["username"], "bot": self.me["bot"]}
        joined = datetime.now(UTC).isoformat()
        return {**shapes.member({"user": me, "role": role, "joined_at": joined}), "user": self.me}


class DiscordConnection(Connection):
    __slots__ = ("base",)

    def __init__(self, socket: WebSocket[Any, Any, Any], state: GatewayState, base: str) -> None:
        super().__init__(socket, state)
        self.base = base

    async def _handle(self, data: str | bytes) -> None:
        self._check_rate()
        frame = decode_frame(data)
        op = frame.op
        if self.session is None and op not in (Op.HEARTBEAT, Op.IDENTIFY, Op.RESUME):
            raise ProtocolError(Close.NOT_AUTHENTICATED, "identify first")
        if op == Op.HEARTBEAT:
            self._heartbeat(frame)
        elif op == Op.IDENTIFY:
            await self._identify_v10(decode_payload(frame, IdentifyV10))
        elif op == Op.RESUME:
            await self._resume_v10(decode_payload(frame, ResumeData))
        elif op == Op.PRESENCE_UPDATE:
            await self._presence(decode_payload(frame, PresenceV10))
        elif op == REQUEST_GUILD_MEMBERS:
            await self._request_members(decode_payload(frame, RequestMembersV10))
        elif op == 4:  # voice state: Concord has no voice; ignored as Discord ignores no-ops
            return
        else:
            raise ProtocolError(Close.UNKNOWN_OPCODE, f"unknown opcode {op}")

    async def _identify_v10(self, data: IdentifyV10) -> None:
        intents = data.intents
        if intents is None or intents < 0 or intents > ALL_INTENTS:
            raise _invalid_intents()
        identity = await self._authenticate(_token(data.token))
        await self.state.limits.spend_identify(identity.user_id)
        try:
            state = await self.services.gateway.ready(identity)
        except Unauthorized:
            raise ProtocolError(Close.AUTHENTICATION_FAILED, "authentication failed") from None
        session = DiscordSession(
            secrets.token_urlsafe(18),
            identity,
            {str(topic) for topic in state.topics},
            intents,
            self.base,
        )
        me = shapes.me(msgspec.to_builtins(s.me_out(state.user)))
        session.me = me
        guilds: list[JSON] = []
        online = {str(uid): p.value for uid, p in state.presences}
        for snap in state.servers:
            detail = msgspec.to_builtins(s.server_detail_out(snap))
            members = [session._own_member(snap.member.role.value)]
            if intents & GUILD_MEMBERS:
                rows = await self.services.members.list_members(
                    identity, snap.server.id, limit=MEMBERS_IN_GUILD_CREATE
                )
                members = [shapes.member(msgspec.to_builtins(s.member_out(r.view))) for r in rows]
            for m in members:
                session.remember(m["user"])
            presences = []
            if intents & GUILD_PRESENCES:
                presences = [
                    {
                        "user": {"id": m["user"]["id"]},
                        "status": STATUS_OUT.get(online[m["user"]["id"]], "offline"),
                        "activities": [],
                        "client_status": {},
                    }
                    for m in members
                    if m["user"]["id"] in online
                ]
            channels = [shapes.channel(c) for c in detail["channels"]]
            guilds.append(
                shapes.guild(detail, channels=channels, members=members, presences=presences)
            )
        ready: JSON = {
            "v": 10,
            "user": me,
            "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": _ws_base(self.base),
            "session_type": "normal",
            "application": {"id": me["id"], "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "_trace": ["concord"],
        }
        if data.shard is not None:
            ready["shard"] = data.shard
        self._attach(session, after_seq=0)
        session.dispatch_v10("READY", ready)
        if intents & GUILDS:
            for g in guilds:
                session.dispatch_v10("GUILD_CREATE", g)
        self.hub.add(session, {str(topic): seq for topic, seq in state.positions.items()})
        await self.services.gateway.session_started(session.user_id, session.id)
        if data.presence is not None and data.presence.get("status") in STATUS_IN:
            await self._presence(PresenceV10(status=data.presence["status"]))

    async def _resume_v10(self, data: ResumeData) -> None:
        existing = self.hub.get(data.session_id)
        if existing is not None and not isinstance(existing, DiscordSession):
            self.send_control(control_frame(Op.INVALID_SESSION, "false"))
            return
        await self._resume(ResumeData(_token(data.token), data.session_id, data.seq))

    async def _presence(self, data: PresenceV10) -> None:
        assert self.session is not None
        status = STATUS_IN.get(data.status)
        if status is None:
            raise ProtocolError(Close.DECODE_ERROR, f"unknown status {data.status!r}"[:120])
        try:
            await self.services.users.update_me(self.session.identity, status=UserStatus(status))
        except DomainError as exc:
            raise ProtocolError(Close.UNKNOWN_ERROR, exc.message) from exc

    async def _request_members(self, data: RequestMembersV10) -> None:
        session = self.session
        assert isinstance(session, DiscordSession)
        try:
            guild_id = int(data.guild_id)
        except ValueError:
            raise ProtocolError(Close.DECODE_ERROR, "guild_id must be a snowflake") from None
        limit = data.limit if 0 < data.limit <= MEMBERS_IN_GUILD_CREATE else MEMBERS_IN_GUILD_CREATE
        try:
            rows = await self.services.members.list_members(session.identity, guild_id, limit=limit)
        except DomainError:
            rows = []
        members = [shapes.member(msgspec.to_builtins(s.member_out(r.view))) for r in rows]
        if data.query:
            members = [m for m in members if m["user"]["username"].startswith(data.query.lower())]
        if data.user_ids is not None:
            wanted = {
                str(u)
                for u in (data.user_ids if isinstance(data.user_ids, list) else [data.user_ids])
            }
            members = [m for m in members if m["user"]["id"] in wanted]
        chunk: JSON = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.nonce is not None:
            chunk["nonce"] = data.nonce
        session.dispatch_v10("GUILD_MEMBERS_CHUNK", chunk)


def _invalid_intents() -> ProtocolError:
    return ProtocolError(INVALID_INTENTS, "invalid intent(s)")  # type: ignore[arg-type]


def _ws_base(http_base: str) -> str:
    scheme, _, rest = http_base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{GATEWAY_PATH}"


def _http_base(socket: WebSocket[Any, Any, Any]) -> str:
    scheme = "https" if socket.scope.get("scheme") in ("wss", "https") else "http"
    host = socket.headers.get("host") or "localhost"
    return f"{scheme}://{host}"


@websocket("/gateway", opt={PUBLIC: True})
async def gateway_v10(socket: WebSocket[Any, Any, Any]) -> None:
    """Discord's v10 gateway (docs/bots.md); `?v=10&encoding=json` (other encodings and
    compression are not offered: frames are JSON text)."""
    state: GatewayState = socket.app.state.gateway
    settings = state.services.settings
    if not origin_allowed(socket, settings.ws_origins):
        await socket.close(code=4003, reason="origin not allowed")
        return
    if socket.query_params.get("encoding", "json") != "json":
        await socket.accept()
        await socket.close(code=4002, reason="only encoding=json is offered")
        return
    host = socket.client.host if socket.client else "unknown"
    per_ip = _sockets_per_ip(socket)
    if not per_ip.try_open(host, settings.ws_max_per_ip):
        await socket.accept()
        await socket.close(code=TOO_MANY_CONNECTIONS, reason="too many gateway connections")
        return
    try:
        await socket.accept()
        await DiscordConnection(socket, state, _http_base(socket)).run()
    finally:
        per_ip.close(host)


__all__ = ["ClientFrame", "DiscordConnection", "DiscordSession", "gateway_v10"]

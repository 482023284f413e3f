"""The gateway's wire protocol (docs/gateway.md): opcodes, close codes, limits, client frames."""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Final, Literal, TypeVar

import msgspec

from discord_core.events import dispatch_names
from discord_core.limits import MEMBER_LIST_DEFAULT, MEMBER_LIST_MAX

T = TypeVar("T")


class Op(IntEnum):
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    RESUME = 6
    RECONNECT = 7
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11
    MEMBER_LIST_SUBSCRIBE = 14


CLIENT_OPS: Final = frozenset(
    {Op.HEARTBEAT, Op.IDENTIFY, Op.PRESENCE_UPDATE, Op.RESUME, Op.MEMBER_LIST_SUBSCRIBE}
)
BEFORE_IDENTIFY_OPS: Final = frozenset({Op.HEARTBEAT, Op.IDENTIFY, Op.RESUME})


class Close(IntEnum):
    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_SEQ = 4007
    RATE_LIMITED = 4008
    SESSION_TIMED_OUT = 4009
    SERVICE_RESTART = 1012


NOT_RESUMABLE: Final = frozenset({Close.AUTHENTICATION_FAILED})
"""Closes that end the session too. After any other (4007 included: a HEARTBEAT naming a
sequence never sent) the session waits for a RESUME with its backlog whole."""
CLEAN_CLIENT_CLOSES: Final = frozenset({1000, 1001})

GATEWAY_EVENTS: Final = frozenset({"READY", "RESUMED", "RESYNC", "MEMBER_LIST"})
"""Dispatches of the gateway itself; every other one is a domain event's (discord_core.events)."""
DISPATCH_EVENTS: Final = GATEWAY_EVENTS | dispatch_names()

MAX_FRAME_BYTES: Final = 4096
FRAMES_PER_WINDOW: Final = 120
FRAME_WINDOW_S: Final = 60.0
REPLAY_MAX: Final = 2000
HEARTBEAT_GRACE: Final = 1.5


class ClientFrame(msgspec.Struct):
    op: int
    d: msgspec.Raw = msgspec.Raw(b"null")
    s: int | None = None
    t: str | None = None


Token = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]


class IdentifyData(msgspec.Struct):
    token: Token
    properties: dict[str, str] | None = None


class ResumeData(msgspec.Struct):
    token: Token
    session_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    seq: Annotated[int, msgspec.Meta(ge=0)]


class PresenceData(msgspec.Struct):
    status: Literal["online", "away", "dnd", "invisible"]


IdText = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,19}$")]


class MemberListData(msgspec.Struct, forbid_unknown_fields=True):
    """op 14: the part of a server's member list the client shows (ascending by user id)."""

    server_id: IdText
    after: IdText = "0"
    limit: Annotated[int, msgspec.Meta(ge=1, le=MEMBER_LIST_MAX)] = MEMBER_LIST_DEFAULT


class ProtocolError(Exception):
    """Close the socket with this code."""

    def __init__(self, code: Close, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_frame_decoder = msgspec.json.Decoder(ClientFrame)
_decoders: dict[type, msgspec.json.Decoder] = {}  # type: ignore[type-arg]


def frame_size(data: str | bytes) -> int:
    """The frame's size in bytes as it came over the wire (UTF-8 for text frames)."""
    if isinstance(data, bytes):
        return len(data)
    if len(data) * 4 <= MAX_FRAME_BYTES:  # cannot be over the cap: skip the encoding
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))


def decode_frame(data: str | bytes) -> ClientFrame:
    if frame_size(data) > MAX_FRAME_BYTES:
        raise ProtocolError(Close.DECODE_ERROR, f"frame over {MAX_FRAME_BYTES} bytes")
    try:
        return _frame_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(Close.DECODE_ERROR, f"invalid frame: {exc}"[:120]) from exc


def decode_payload(frame: ClientFrame, kind: type[T]) -> T:
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        return decoder.decode(frame.d)  # type: ignore[no-any-return]
    except (msgspec.DecodeError, RecursionError) as exc:
        raise ProtocolError(Close.DECODE_ERROR, f"invalid payload: {exc}"[:120]) from exc


def control_frame(op: Op, d: str = "null") -> str:
    return f'{{"op":{op.value},"d":{d}}}'


def dispatch_frame(seq: int, name: str, payload: str) -> str:
    return f'{{"op":0,"s":{seq},"t":"{name}","d":{payload}}}'

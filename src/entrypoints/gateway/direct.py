"""A dispatch written straight to the socket's transport, past the ASGI `send`.

The fan-out sends the same event to every listening socket in one loop. Through uvicorn's
`send` each delivery was a coroutine stepped by hand, websockets' Frame object and state
checks, its output buffer and a join: 25-30 % of the server's CPU per delivery in py-spy
(bench workload 2), more than the rest of our gateway code. A server-to-client text frame
with no extension is three fields (RFC 6455 section 5.2: FIN and opcode, the length, the
payload; no mask), so we write that frame ourselves, and only while uvicorn's protocol says
writing is safe: handshake done, no close sent, the peer not gone, the transport not paused
by flow control, websockets' connection OPEN with no fragmented message or extension. Any
other time `write` declines and the frame goes the usual way (the connection's writer task,
through `send`), which also keeps ordering: both paths end in the same transport, in turn.

Only uvicorn's sans-I/O WebSocket protocol (what `concord serve` runs) is recognised; with any
other server `DirectWriter.of` gives None.
"""

from __future__ import annotations

from typing import Any

from websockets.protocol import State

_OPEN = State.OPEN
_FIN_TEXT = 0x81


def text_frame(data: bytes) -> bytes:
    """An unmasked, final text frame carrying `data` (a server's frame)."""
    size = len(data)
    if size < 126:
        return bytes((_FIN_TEXT, size)) + data
    if size < 65_536:
        return bytes((_FIN_TEXT, 126)) + size.to_bytes(2, "big") + data
    return bytes((_FIN_TEXT, 127)) + size.to_bytes(8, "big") + data


class DirectWriter:
    """Writes text frames on one uvicorn WebSocket while that is safe (see the module)."""

    __slots__ = ("_conn", "_owner", "_transport")

    def __init__(self, owner: Any) -> None:
        self._owner = owner
        self._conn = owner.conn
        self._transport = owner.transport

    @classmethod
    def of(cls, raw_send: Any) -> DirectWriter | None:
        """The writer for the socket behind the ASGI server's own `send`, or None when that
        is not uvicorn's sans-I/O protocol as we know it."""
        owner = getattr(raw_send, "__self__", None)
        if owner is None or type(owner).__name__ != "WebSocketsSansIOProtocol":
            return None
        needed = ("conn", "transport", "writable", "close_sent", "disconnected")
        if not all(hasattr(owner, name) for name in needed):
            return None
        return cls(owner)

    def write(self, text: str) -> bool:
        """Write one text frame now; False (nothing written) when it must wait or go
        through `send`. Raises what the transport raises."""
        owner, conn = self._owner, self._conn
        if (
            owner.close_sent
            or owner.disconnected
            or not owner.writable.is_set()
            or conn.state is not _OPEN
            or conn.expect_continuation_frame
            or conn.extensions
        ):
            return False
        self._transport.write(text_frame(text.encode()))
        return True

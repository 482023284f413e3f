"""Lean asyncio clients for load generation: HTTP/1.1 keep-alive and WebSocket.

Both are `asyncio.Protocol`s (no streams, no per-frame task), because a load generator that
spends more CPU than the server it loads measures itself. The WebSocket client parses the
server's unmasked frames itself and masks its own, as RFC 6455 requires.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from collections.abc import Callable

# --- HTTP ----------------------------------------------------------------------------------


def http_request(
    method: str, path: str, host: str, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class HttpError(Exception):
    pass


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(cls, host, port)
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  (uvloop's is no subclass)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._waiter is not None:
            self._parse()

    def _parse(self) -> None:
        buf = self._buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        i = head.find(b"\r\ncontent-length:")
        if i < 0:
            length = 0
            if b"transfer-encoding: chunked" in head:
                self._fail(HttpError("chunked responses are not supported"))
                return
        else:
            j = head.find(b"\r\n", i + 2)
            length = int(head[i + 17 : j if j >= 0 else None])
        total = end + 4 + length
        if len(buf) < total:
            return
        status = int(buf[9:12])
        body = bytes(buf[end + 4 : total])
        del buf[:total]
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("connection closed"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.closed or self.transport is None:
            raise ConnectionError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


# --- WebSocket -----------------------------------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + key + _mask(payload, key)


TextHandler = Callable[["WsClient", bytes], None]


class WsClient(asyncio.Protocol):
    """A WebSocket client connection. `on_text(client, payload)` sees every text message."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        on_text: TextHandler | None = None,
        token: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.on_text: TextHandler = on_text or (lambda _c, _p: None)
        self.transport: asyncio.Transport | None = None
        self._buf = b""
        self._handshake_done = False
        self._frag: list[bytes] = []
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int] = loop.create_future()
        self.close_code: int | None = None
        self.token = token
        """The gateway token to IDENTIFY with (None: a raw socket, ready once open)."""
        self.ready: asyncio.Future[None] = loop.create_future()
        self.seq = 0
        """The last dispatch sequence number seen (kept by the gateway fleet)."""
        self.got = 0
        """Marked (benchmark) messages received."""

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        on_text: TextHandler | None = None,
        *,
        rcvbuf: int | None = None,
        within: float = 30.0,
        token: str | None = None,
    ) -> WsClient:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf is not None:  # before connect, so the window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (host, port)), within)
        except BaseException:
            sock.close()
            raise
        _, proto = await loop.create_connection(
            lambda: cls(host, port, path, on_text, token), sock=sock
        )
        await asyncio.wait_for(proto.opened, within)
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  (uvloop's is no subclass)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        if self._buf:
            data = self._buf + data
            self._buf = b""
        if not self._handshake_done:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self._buf = data
                return
            status = data[9:12]
            if status != b"101":
                if not self.opened.done():
                    self.opened.set_exception(ConnectionError(f"handshake got {status!r}"))
                self._close_transport()
                return
            self._handshake_done = True
            if not self.opened.done():
                self.opened.set_result(None)
            data = data[end + 4 :]
        pos = 0
        n = len(data)
        while n - pos >= 2:
            b0 = data[pos]
            length = data[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + length
            if end > n:
                break
            payload = data[pos + head : end]
            pos = end
            opcode = b0 & 0x0F
            if opcode == OP_TEXT and b0 & 0x80:
                self.on_text(self, payload)
            else:
                self._control(b0, opcode, payload)
        if pos < n:
            self._buf = data[pos:]

    def _control(self, b0: int, opcode: int, payload: bytes) -> None:
        if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
            self._frag.append(payload)
            if b0 & 0x80:
                whole = b"".join(self._frag)
                self._frag.clear()
                self.on_text(self, whole)
        elif opcode == OP_PING:
            self.write_frame(OP_PONG, payload)
        elif opcode == OP_CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_code = code
            self.write_frame(OP_CLOSE, payload[:2])
            self._close_transport()

    def write_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    def send_text(self, text: str) -> None:
        self.write_frame(OP_TEXT, text.encode())

    def pause_reading(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def close(self, code: int = 1000) -> None:
        self.write_frame(OP_CLOSE, code.to_bytes(2, "big"))
        self._close_transport()

    def _close_transport(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(self.close_code or 1006)

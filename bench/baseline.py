"""The raw baseline: a minimal ASGI app (no framework) on the same uvicorn as `concord serve`.

`python -m bench.baseline` with BENCH_PORT, and BENCH_DB_URL + BENCH_IDS (JSON from
rawdb.prepare) when it should write to a database. Routes:

- POST /messages   insert the message (the app's table, engine and durability), answer 201 with
                   the message JSON, and send it to every open WebSocket (encoded once).
- POST /broadcast  no database: send the message to every open WebSocket, answer 200.
- any WebSocket    accepted and kept; it only receives broadcasts.

The broadcast is the floor: one encode, then each socket's ASGI `send` in a plain loop.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import msgspec

from .rawdb import MessageWriter, write_engine

_encode = msgspec.json.Encoder().encode


class Body(msgspec.Struct, forbid_unknown_fields=True):
    content: str
    nonce: str | None = None


_decode = msgspec.json.Decoder(Body).decode


class RawApp:
    def __init__(self) -> None:
        self.sockets: set[Any] = set()
        self.writer: MessageWriter | None = None
        self.seq = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self.websocket(receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                url = os.environ.get("BENCH_DB_URL")
                if url:
                    ids = json.loads(os.environ["BENCH_IDS"])
                    pool = int(os.environ.get("BENCH_POOL_SIZE", "10"))
                    self.writer = MessageWriter(write_engine(url, pool), ids)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.writer is not None:
                    await self.writer.engine.dispose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def websocket(self, receive: Any, send: Any) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        self.sockets.add(send)
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
        finally:
            self.sockets.discard(send)

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        path, method = scope["path"], scope["method"]
        if method == "POST" and path in ("/messages", "/broadcast"):
            try:
                body = _decode(b"".join(chunks))
            except msgspec.ValidationError as exc:
                await self.respond(send, 400, _encode({"code": "bad_request", "message": str(exc)}))
                return
            if path == "/messages":
                if self.writer is None:
                    await self.respond(send, 500, b'{"code":"no database"}')
                    return
                row = await self.writer.insert(body.content, body.nonce)
                status = 201
            else:
                self.seq += 1
                row = {
                    "id": self.seq,
                    "channel_id": 1,
                    "server_id": 1,
                    "author_id": 1,
                    "content": body.content,
                    "created_at": datetime.now(UTC),
                    "edited_at": None,
                    "nonce": body.nonce,
                }
                status = 200
            payload = _encode(
                {
                    "id": str(row["id"]),
                    "channel_id": str(row["channel_id"]),
                    "server_id": str(row["server_id"]),
                    "author": {"id": str(row["author_id"]), "username": "raw"},
                    "content": row["content"],
                    "created_at": row["created_at"],
                    "edited_at": row["edited_at"],
                    "nonce": row["nonce"],
                }
            )
            if self.sockets:
                await self.broadcast(payload)
            await self.respond(send, status, payload)
        elif path == "/health":
            await self.respond(send, 200, b'{"status":"ok"}')
        else:
            await self.respond(send, 404, b'{"code":"not_found"}')

    async def broadcast(self, payload: bytes) -> None:
        frame = b'{"op":0,"s":0,"t":"MESSAGE_CREATE","d":' + payload + b"}"
        message = {"type": "websocket.send", "text": frame.decode()}
        for send in list(self.sockets):
            try:
                await send(message)
            except Exception:
                self.sockets.discard(send)

    @staticmethod
    async def respond(send: Any, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    # The same server options as `concord serve` (src/entrypoints/cli/serve.py).
    uvicorn.run(
        RawApp(),
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        timeout_graceful_shutdown=10,
        lifespan="on",
    )


if __name__ == "__main__":
    main()

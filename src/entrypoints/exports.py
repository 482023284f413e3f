"""The JSON export documents, written piece by piece (constant memory whatever the size):
a server's (`concord export server`, `GET /servers/{id}/export`) and a user's
(`GET /users/@me/export`).

Server: `{"format": "concord-export", "version": 1, "server": Server, "channels": [Channel +
{"messages": [Message, ...]}, ...], "members": [Member, ...]}`.
User: `{"format": "concord-user-export", "version": 1, "user": Me, "servers": [Server +
{"role"}, ...], "messages": [Message, ...]}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec

from discord_core.usecases import ExportItem
from discord_core.usecases.accounts import UserExportItem

from . import schemas

EXPORT_FORMAT = "concord-export"
USER_EXPORT_FORMAT = "concord-user-export"
EXPORT_VERSION = 1

_encode = msgspec.json.Encoder().encode


class ServerExportWriter:
    """Feed it the `ExportItem`s in order; each call returns the bytes that come next."""

    def __init__(self, link: schemas.LinkAttachment) -> None:
        self.link = link
        self.counts = {"channels": 0, "messages": 0, "members": 0}
        self._channel_open = False
        self._first = True

    def _item(self, value: Any) -> bytes:
        prefix = b"" if self._first else b",\n"
        self._first = False
        return prefix + _encode(value)

    def _close_channel(self) -> bytes:
        if not self._channel_open:
            return b""
        self._channel_open = False
        return b"\n]}"

    def feed(self, item: ExportItem) -> bytes:
        if item.server is not None:
            head = f'{{"format": "{EXPORT_FORMAT}", "version": {EXPORT_VERSION},\n"server": '
            self._first = True
            return head.encode() + _encode(schemas.server_out(item.server)) + b',\n"channels": [\n'
        if item.channel is not None:
            out = self._close_channel()
            if self.counts["channels"]:
                out += b",\n"
            body = _encode(schemas.channel_out(item.channel))[:-1]
            self._channel_open = True
            self._first = True
            self.counts["channels"] += 1
            return out + body + b', "messages": [\n'
        if item.message is not None:
            self.counts["messages"] += 1
            return self._item(schemas.message_out(item.message, self.link))
        if item.member is not None:
            out = b""
            if self.counts["members"] == 0:
                out = self._close_channel() + b'\n],\n"members": [\n'
                self._first = True
            self.counts["members"] += 1
            return out + self._item(schemas.member_out(item.member))
        return b""

    def finish(self) -> bytes:
        out = self._close_channel()
        if self.counts["members"] == 0:
            out += b'\n],\n"members": [\n'
        return out + b"\n]}\n"


async def server_export(
    items: AsyncIterator[ExportItem], link: schemas.LinkAttachment
) -> AsyncIterator[bytes]:
    writer = ServerExportWriter(link)
    async for item in items:
        chunk = writer.feed(item)
        if chunk:
            yield chunk
    yield writer.finish()


async def user_export(
    items: AsyncIterator[UserExportItem], link: schemas.LinkAttachment
) -> AsyncIterator[bytes]:
    first = True
    async for item in items:
        if item.user is not None:
            servers = [schemas.my_server_out(server, member) for server, member in item.servers]
            yield (
                (
                    f'{{"format": "{USER_EXPORT_FORMAT}", "version": {EXPORT_VERSION},\n"user": '
                ).encode()
                + _encode(schemas.me_out(item.user))
                + b',\n"servers": '
                + _encode(servers)
                + b',\n"messages": [\n'
            )
        elif item.message is not None:
            yield (b"" if first else b",\n") + _encode(schemas.message_out(item.message, link))
            first = False
    yield b"\n]}\n"


async def started(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Run the export up to its first item now (so a refusal is a plain error answer, not
    a broken stream), then hand out the rest."""
    first = await items.__anext__()

    async def rest() -> AsyncIterator[Any]:
        yield first
        async for item in items:
            yield item

    return rest()

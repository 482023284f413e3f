"""Helpers for the file tests: images made with Pillow, raw multipart bodies (so a test can
send exactly the bytes it means, lies included), and a view of what storage holds."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import secrets
import struct
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

from .harness import Account, Api, LiveServer

Part = tuple[str, str | None, bytes, str | None]
"""(field name, filename or None, bytes, content type or None)."""


def png(width: int = 64, height: int = 48, color: tuple[int, ...] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 200)).save(out, "JPEG", quality=85)
    return out.getvalue()


def gif(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("P", (width, height), i) for i in (1, 2)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def webp(width: int = 50, height: int = 50) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 200, 0, 128)).save(out, "WEBP")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 60_000) -> bytes:
    """A valid PNG of a few hundred bytes whose header claims side x side pixels (a
    decompression bomb: decoding it would take side * side * 3 bytes)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side * 3 + 1) * 4, 9)  # a few rows; the rest is "missing"
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def multipart(parts: list[Part], boundary: str | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = boundary or "b" + secrets.token_hex(12)
    out = bytearray()
    for name, filename, data, content_type in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if content_type:
            out += f"Content-Type: {content_type}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def payload(content: str = "", **extra: Any) -> Part:
    return ("payload_json", None, json.dumps({"content": content, **extra}).encode(), None)


def file(index: int, filename: str, data: bytes, content_type: str | None = None) -> Part:
    return (f"files[{index}]", filename, data, content_type)


async def upload(api: Api, who: Account, channel_id: str, parts: list[Part], **headers: str) -> Any:
    body, content_type = multipart(parts)
    return await api.post(
        f"/channels/{channel_id}/messages",
        who,
        content=body,
        headers={"Content-Type": content_type, **headers},
    )


def stored(server: LiveServer) -> set[str]:
    """Every file in the server's storage folder and upload folder (relative paths)."""
    found = set()
    for root in (server.settings.storage_path, server.settings.upload_path):
        if root.exists():
            found |= {str(p.relative_to(root.parent)) for p in root.rglob("*") if p.is_file()}
    return found


async def settle(server: LiveServer, before: set[str], timeout: float = 5.0) -> set[str]:
    """The files added since `before`, once cleanup after a request has run."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        added = stored(server) - before
        if not added or asyncio.get_running_loop().time() > deadline:
            return added
        await asyncio.sleep(0.05)


def folder(server: LiveServer) -> Path:
    return server.settings.storage_path

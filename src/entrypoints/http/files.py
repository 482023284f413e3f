"""Serving stored files: attachments and their thumbnails (signed, expiring URLs), avatars and
server icons (public, by content version).

A plain GET works (image loaders send no token). Every answer says what the bytes are and how
to treat them: the sniffed Content-Type, `Content-Disposition` (inline for images, a download
for anything else), `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy
so a file can never run as a page of this origin. Single byte ranges are served (206 / 416);
the bytes are streamed from storage, never held whole in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final
from urllib.parse import quote

from litestar import Controller, Litestar, Request, get
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import Parameter
from litestar.response import Response, Stream

from discord_core.errors import NotFound, StoredFileMissing
from discord_core.files import FileKind
from discord_core.usecases import FileGrant, OpenedFile, Variant
from discord_core.usecases.files import FILE_NOT_FOUND

from .auth import PUBLIC
from .params import AppContainer, ChannelId

AttachmentId = Annotated[int, Parameter(gt=0, le=2**63 - 1, description="An attachment id.")]
OwnerId = Annotated[int, Parameter(gt=0, le=2**63 - 1, description="A user or server id.")]
# Not validated as parameters: a missing or malformed signature is the same 404 as a wrong one.
Expires = Annotated[
    str | None, Parameter(max_length=20, description="When the link expires (Unix time).")
]
Signature = Annotated[str | None, Parameter(max_length=64, description="The link's signature.")]
Size = Annotated[int, Parameter(ge=1, le=4096, description="128 (default) or 512.")]
FileName = Annotated[str, Parameter(min_length=1, max_length=800, description="The file name.")]

_RANGE: Final = re.compile(r"^bytes=(\d*)-(\d*)$")
_PICTURE: Final = re.compile(r"^([0-9a-f]{16})\.png$")
_SECURITY_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
_ATTACHMENT_CACHE: Final = "private, max-age=3600"
_PICTURE_CACHE: Final = "public, max-age=31536000, immutable"


class FileController(Controller):
    path = "/"
    tags = ["files"]
    opt = {PUBLIC: True}

    @get("/attachments/{channel_id:int}/{attachment_id:int}/{filename:str}")
    async def attachment(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        channel_id: ChannelId,
        attachment_id: AttachmentId,
        filename: FileName,
        ex: Expires = None,
        sig: Signature = None,
    ) -> Response[Any]:
        """A message's file, by the signed URL in the message's `attachments[].url`. A
        missing, wrong or expired signature, or a file that was deleted: 404."""
        grant = _grant(channel_id, attachment_id, Variant.ORIGINAL, ex, sig)
        opened = await container.files.open_attachment(grant)
        return await _serve(request, container, opened, _ATTACHMENT_CACHE)

    @get("/thumbnails/{channel_id:int}/{thumbnail_name:str}")
    async def thumbnail(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        channel_id: ChannelId,
        thumbnail_name: FileName,
        ex: Expires = None,
        sig: Signature = None,
    ) -> Response[Any]:
        """An image attachment's thumbnail (WebP, at most 400 px), by its signed URL."""
        attachment_id = _id_from(thumbnail_name, ".webp")
        grant = _grant(channel_id, attachment_id, Variant.THUMBNAIL, ex, sig)
        opened = await container.files.open_attachment(grant)
        return await _serve(request, container, opened, _ATTACHMENT_CACHE)

    @get("/avatars/{user_id:int}/{avatar_name:str}")
    async def avatar(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        user_id: OwnerId,
        avatar_name: FileName,
        size: Size = 128,
    ) -> Response[Any]:
        """A user's avatar, a PNG square of 128 px (or `?size=512`), from `avatar_url`."""
        return await _picture(request, container, FileKind.AVATAR, user_id, avatar_name, size)

    @get("/icons/{server_id:int}/{icon_name:str}")
    async def icon(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        server_id: OwnerId,
        icon_name: FileName,
        size: Size = 128,
    ) -> Response[Any]:
        """A server's icon, a PNG square of 128 px (or `?size=512`), from `icon_url`."""
        return await _picture(request, container, FileKind.ICON, server_id, icon_name, size)


def _unknown() -> NotFound:
    return NotFound(FILE_NOT_FOUND, code="unknown_file")


def _grant(
    channel_id: int, attachment_id: int, variant: Variant, ex: str | None, sig: str | None
) -> FileGrant:
    if ex is None or sig is None or not ex.isdigit() or len(ex) > 12:
        raise _unknown()
    return FileGrant(channel_id, attachment_id, variant, int(ex), sig)


def _id_from(name: str, suffix: str) -> int:
    stem = name.removesuffix(suffix)
    if stem == name or not stem.isdigit() or len(stem) > 19:
        raise _unknown()
    return int(stem)


async def _picture(
    request: Request[Any, Any, Any],
    container: Any,
    kind: FileKind,
    owner_id: int,
    name: str,
    size: int,
) -> Response[Any]:
    match = _PICTURE.match(name)
    if match is None:
        raise _unknown()
    opened = await container.files.open_picture(kind, owner_id, match.group(1), size)
    return await _serve(request, container, opened, _PICTURE_CACHE)


def _disposition(opened: OpenedFile) -> str:
    kind = "inline" if opened.inline else "attachment"
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in opened.filename
    )
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(opened.filename, safe='')}"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(start, end inclusive) for one satisfiable range; None to serve it all (no header, or
    one we do not serve: several ranges, another unit); False when unsatisfiable (416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return (max(0, size - length), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return (start, end)


async def _serve(
    request: Request[Any, Any, Any], container: Any, opened: OpenedFile, cache: str
) -> Response[Any]:
    etag = f'"{opened.etag}"'
    headers = {
        **_SECURITY_HEADERS,
        "Content-Disposition": _disposition(opened),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": cache,
    }
    if request.headers.get("if-none-match") == etag:
        return Response(content=b"", status_code=304, headers=headers)
    wanted = _byte_range(request.headers.get("range"), opened.size)
    if wanted is False:
        headers["Content-Range"] = f"bytes */{opened.size}"
        return Response(
            content=b"", status_code=416, headers=headers, media_type=opened.content_type
        )
    status, offset, length = 200, 0, opened.size
    if isinstance(wanted, tuple):
        start, end = wanted
        status, offset, length = 206, start, end - start + 1
        headers["Content-Range"] = f"bytes {start}-{end}/{opened.size}"
    try:
        chunks = await container.storage.open(opened.key, offset, length)
    except StoredFileMissing as exc:  # the row outlived its bytes: say so, never a 500
        raise _unknown() from exc
    headers["Content-Length"] = str(length)
    return Stream(
        _closing(chunks),
        status_code=status,
        headers=headers,
        media_type=opened.content_type,
    )


async def _closing(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Close the storage stream whether the client read it all or went away."""
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


_DOCUMENTED: Final = {
    "/attachments/": "*/*",
    "/thumbnails/": "image/webp",
    "/avatars/": "image/png",
    "/icons/": "image/png",
}


def document_files(app: Litestar) -> None:
    """The file routes answer with bytes, not JSON: say so in the served OpenAPI schema
    (200 and 206 with the file's type, 304, 416), after the app is built."""
    binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    for path, item in (app.openapi_schema.paths or {}).items():
        media = next((m for prefix, m in _DOCUMENTED.items() if prefix in path), None)
        if media is None or item.get is None:
            continue
        content = {media: OpenAPIMediaType(schema=binary)}
        responses = dict(item.get.responses or {})
        responses["200"] = OpenAPIResponse(description="The file.", content=content)
        responses["206"] = OpenAPIResponse(description="The requested byte range.", content=content)
        responses["304"] = OpenAPIResponse(description="Not modified (If-None-Match).")
        responses["416"] = OpenAPIResponse(description="The range is outside the file.")
        item.get.responses = responses

"""The media port: what a file's bytes are (puremagic), and image work (Pillow).

Everything runs in a small thread pool of its own (`workers` threads: an image decode holds
width x height x 4 bytes, so the pool bounds the memory images can take at once) and never on
the event loop. Pillow opens only the four formats of `files.IMAGE_TYPES`, and an image is
checked against the pixel limit from its header before anything is decoded.
"""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, TypeVar

import puremagic
from PIL import Image, ImageOps, UnidentifiedImageError

from discord_core import files
from discord_core.errors import UnreadableImage
from discord_core.ports import MediaInfo

if TYPE_CHECKING:
    from discord_core.ports import MediaProcessor

T = TypeVar("T")
HEAD_BYTES: Final = 8192
_FORMATS: Final = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_MIME: Final = {fmt: mime for mime, fmt in _FORMATS.items()}
# EXIF orientations that turn the picture by 90 degrees (width and height swap).
_TRANSPOSED: Final = frozenset({5, 6, 7, 8})
_ORIENTATION: Final = 0x0112
_IMAGE_ERRORS: Final = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
)
TEXT: Final = "text/plain"
"""Litestar adds "; charset=utf-8" when it serves text (the head was checked to be UTF-8)."""
_TEXT_CONTROLS: Final = frozenset(range(32)) - {9, 10, 12, 13}


class PillowMedia:
    def __init__(self, workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media")

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def probe(self, path: Path, filename: str) -> MediaInfo:
        return await self._run(_probe, path, filename)

    async def thumbnail(self, path: Path, *, max_side: int, max_pixels: int) -> bytes:
        return await self._run(_thumbnail, path, max_side, max_pixels)

    async def squares(
        self, data: bytes, *, sizes: Sequence[int], max_pixels: int
    ) -> dict[int, bytes]:
        return await self._run(_squares, data, tuple(sizes), max_pixels)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def sniff(head: bytes, filename: str) -> str:
    """The MIME type the first bytes show. The name never decides on its own: it only picks
    among formats whose signatures the bytes match equally well (a ZIP named .docx); when
    several match and the name picks none, the answer is application/octet-stream."""
    try:
        candidates = [c for c in puremagic.magic_string(head) if c.mime_type]
    except (puremagic.PureError, ValueError):
        candidates = []
    if not candidates:
        return TEXT if _looks_like_text(head) else files.OCTET_STREAM
    best = max(c.confidence for c in candidates)
    top = [c for c in candidates if c.confidence == best]
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    named = [c for c in top if extension and c.extension.lower() == extension]
    mimes = {c.mime_type for c in top}
    if named:
        mime = named[0].mime_type
    elif len(mimes) == 1:
        mime = top[0].mime_type
    else:
        return files.OCTET_STREAM
    return "image/jpeg" if mime == "image/jpg" else str(mime)


def _looks_like_text(head: bytes) -> bool:
    if not head or any(byte in _TEXT_CONTROLS for byte in head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the head is fine
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _open(source: str | Path | IO[bytes], mime: str) -> Image.Image:
    try:
        return Image.open(source, formats=[_FORMATS[mime]])
    except Image.DecompressionBombError as exc:  # Pillow's own guard, from the header
        raise UnreadableImage(f"too many pixels: {exc}", too_large=True) from exc
    except _IMAGE_ERRORS as exc:
        raise UnreadableImage(f"not a readable {_FORMATS[mime]} image: {exc}") from exc


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    try:
        orientation = image.getexif().get(_ORIENTATION)
    except _IMAGE_ERRORS:
        orientation = None
    return (height, width) if orientation in _TRANSPOSED else (width, height)


def _probe(path: Path, filename: str) -> MediaInfo:
    with open(path, "rb") as file:
        head = file.read(HEAD_BYTES)
    mime = sniff(head, filename)
    if mime not in _FORMATS:
        return MediaInfo(mime)
    with _open(path, mime) as image:
        width, height = _oriented_size(image)
        return MediaInfo(_MIME.get(image.format or "", mime), width, height)


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise UnreadableImage(f"{width} x {height} pixels is over the limit", too_large=True)


def _decoded(image: Image.Image, max_pixels: int, draft: tuple[int, int]) -> Image.Image:
    """The first frame, decoded (JPEG at a reduced scale when that suffices), upright, in
    RGB or RGBA."""
    _check_pixels(image, max_pixels)
    try:
        image.seek(0)
        if image.format == "JPEG":
            image.draft("RGB", draft)
        image.load()
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        return upright.convert("RGBA" if has_alpha else "RGB")
    except _IMAGE_ERRORS as exc:
        raise UnreadableImage(f"the image does not decode: {exc}") from exc


def _thumbnail(path: Path, max_side: int, max_pixels: int) -> bytes:
    with open(path, "rb") as file:
        mime = sniff(file.read(HEAD_BYTES), "")
    if mime not in _FORMATS:
        raise UnreadableImage("not an image")
    with _open(path, mime) as image:
        picture = _decoded(image, max_pixels, (max_side, max_side))
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def _squares(data: bytes, sizes: tuple[int, ...], max_pixels: int) -> dict[int, bytes]:
    mime = sniff(data[:HEAD_BYTES], "")
    if mime not in _FORMATS:
        raise UnreadableImage("not a PNG, JPEG, GIF or WebP image")
    largest = max(sizes)
    with _open(io.BytesIO(data), mime) as image:
        picture = _decoded(image, max_pixels, (largest, largest))
    side = min(picture.size)
    left = (picture.width - side) // 2
    top = (picture.height - side) // 2
    square = picture.crop((left, top, left + side, top + side))
    result: dict[int, bytes] = {}
    for size in sorted(sizes, reverse=True):
        square = square.resize((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        square.save(out, "PNG")
        result[size] = out.getvalue()
    return result


if TYPE_CHECKING:
    _check: type[MediaProcessor] = PillowMedia

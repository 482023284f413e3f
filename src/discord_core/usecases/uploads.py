"""Uploaded files -> attachments: the limits, the names, what the bytes really are, and the
thumbnails of images. Nothing is stored here; `files.store_files` does that."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import files, limits
from ..errors import PayloadTooLarge, UnreadableImage, ValidationFailed
from ..files import FileKind, FileRef
from ..model import Attachment, Upload
from .base import Deps
from .files import Blob


@dataclass(slots=True)
class PreparedFile:
    """An upload checked and ready to store: its attachment (message fields still 0) and
    the blobs to write (the file, and a thumbnail for images)."""

    attachment: Attachment
    blobs: list[Blob]

    @property
    def ref(self) -> FileRef:
        return FileRef(FileKind.ATTACHMENT, self.attachment.id)


def check_upload_limits(uploads: Sequence[Upload], file_limits: limits.FileLimits) -> None:
    """Counts and sizes: too many or too large is a 413, an empty file a 400."""
    if len(uploads) > file_limits.max_files:
        raise PayloadTooLarge(
            f"A message can carry at most {file_limits.max_files} files.", field="files"
        )
    total = 0
    for upload in uploads:
        if upload.size == 0:
            raise ValidationFailed(
                f"{upload.field} is empty.", code="empty_file", field=upload.field
            )
        if upload.size > file_limits.max_file_bytes:
            raise PayloadTooLarge(
                f"{upload.field} is larger than {_mib(file_limits.max_file_bytes)}.",
                field=upload.field,
            )
        total += upload.size
    if total > file_limits.max_request_bytes:
        raise PayloadTooLarge(
            f"The files are larger than {_mib(file_limits.max_request_bytes)} together.",
            field="files",
        )


async def prepare_uploads(deps: Deps, uploads: Sequence[Upload]) -> list[PreparedFile]:
    """Check every upload and work out what it is. Raises before anything is stored."""
    check_upload_limits(uploads, deps.file_limits)
    names = [limits.attachment_filename(u.filename, u.field) for u in uploads]
    return [await _prepare(deps, upload, name) for upload, name in zip(uploads, names, strict=True)]


async def _prepare(deps: Deps, upload: Upload, filename: str) -> PreparedFile:
    path = Path(upload.path)
    try:
        info = await deps.media.probe(path, filename)
    except UnreadableImage as exc:
        raise _invalid_image(upload, exc) from exc
    image = files.is_image(info.content_type)
    if files.claims_image(filename, upload.declared_type) and not image:
        raise ValidationFailed(
            f"{upload.field} is not the image it claims to be.",
            code="invalid_image",
            field=upload.field,
        )
    attachment = Attachment(
        id=deps.ids.next_id(),
        message_id=0,
        channel_id=0,
        server_id=0,
        filename=filename,
        content_type=info.content_type,
        size=upload.size,
        sha256=upload.sha256,
    )
    blobs = [Blob(files.attachment_key(attachment.id), path, info.content_type)]
    if image:
        thumbnail = await _thumbnail(deps, upload, path, info.width, info.height)
        attachment.width, attachment.height = info.width, info.height
        attachment.has_thumbnail = True
        blobs.append(Blob(files.thumbnail_key(attachment.id), thumbnail, files.THUMBNAIL_TYPE))
    return PreparedFile(attachment, blobs)


async def _thumbnail(
    deps: Deps, upload: Upload, path: Path, width: int | None, height: int | None
) -> bytes:
    max_pixels = deps.file_limits.image_max_pixels
    if width is None or height is None or width * height > max_pixels:
        raise ValidationFailed(
            f"{upload.field} has more than {max_pixels:,} pixels.",
            code="image_too_large",
            field=upload.field,
        )
    try:
        return await deps.media.thumbnail(
            path, max_side=files.THUMBNAIL_MAX_SIDE, max_pixels=max_pixels
        )
    except UnreadableImage as exc:
        raise _invalid_image(upload, exc) from exc


def _invalid_image(upload: Upload, exc: UnreadableImage) -> ValidationFailed:
    if exc.too_large:
        return ValidationFailed(
            f"{upload.field} decodes to too many pixels.",
            code="image_too_large",
            field=upload.field,
        )
    return ValidationFailed(
        f"{upload.field} is not a readable image.", code="invalid_image", field=upload.field
    )


def _mib(size: int) -> str:
    return f"{size / limits.MIB:g} MiB"


async def prepare_picture(deps: Deps, data: bytes, field: str) -> dict[int, bytes]:
    """An avatar or icon image -> its squares, one per `files.AVATAR_SIZES`."""
    if not data:
        raise ValidationFailed(f"{field} is empty.", code="empty_file", field=field)
    if len(data) > deps.file_limits.avatar_max_bytes:
        raise PayloadTooLarge(
            f"{field} is larger than {_mib(deps.file_limits.avatar_max_bytes)}.", field=field
        )
    try:
        return await deps.media.squares(
            data, sizes=files.AVATAR_SIZES, max_pixels=deps.file_limits.image_max_pixels
        )
    except UnreadableImage as exc:
        code = "image_too_large" if exc.too_large else "invalid_image"
        raise ValidationFailed(
            f"{field} must be a PNG, JPEG, GIF or WebP image"
            + (" of fewer pixels." if exc.too_large else "."),
            code=code,
            field=field,
        ) from exc

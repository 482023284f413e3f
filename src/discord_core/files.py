"""Stored files: how they are named in file storage, which ones are images, and the
references the database keeps to files that must be deleted.

A file's bytes live in the `FileStorage` port under a key; the database holds what the file is
(an `Attachment` row, a user's avatar version, a server's icon version). Keys are derived from
ids, so nothing but the ids has to be stored:

    attachments/<attachment id>          the file as uploaded
    thumbnails/<attachment id>           a WebP thumbnail of an image
    avatars/<user id>/<version>/<size>   a PNG square, one per AVATAR_SIZES
    icons/<server id>/<version>/<size>   the same for a server icon

Crash safety: a file is written to storage before the row that names it commits, and deleted
only after the row is gone. A `FileRef` row in the `file_deletions` table says "delete these
keys from storage when `due_at` has passed": it is committed *before* an upload's bytes are
stored (due an hour later, cancelled in the transaction that commits the message) and *with*
every delete of a message, channel, server or avatar (due at once). Whatever an instance
crashing half-way leaves behind is swept from that table, never by scanning storage.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .model import Snowflake

IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""What gets width, height and a thumbnail (and is served inline rather than as a download)."""
THUMBNAIL_MAX_SIDE: Final = 400
THUMBNAIL_TYPE: Final = "image/webp"
AVATAR_SIZES: Final = (128, 512)
AVATAR_DEFAULT_SIZE: Final = 128
AVATAR_TYPE: Final = "image/png"
OCTET_STREAM: Final = "application/octet-stream"
_VERSION: Final = re.compile(r"^[0-9a-f]{16}$")


class FileKind(StrEnum):
    ATTACHMENT = "attachment"
    AVATAR = "avatar"
    ICON = "icon"


@dataclass(frozen=True, slots=True)
class FileRef:
    """The stored files of one attachment, one avatar version or one icon version."""

    kind: FileKind
    ref: Snowflake
    """The attachment id, user id or server id."""
    version: str = ""
    """The avatar or icon version; empty for attachments."""

    def storage_keys(self) -> list[str]:
        if self.kind is FileKind.ATTACHMENT:
            return [attachment_key(self.ref), thumbnail_key(self.ref)]
        folder = "avatars" if self.kind is FileKind.AVATAR else "icons"
        return [f"{folder}/{self.ref}/{self.version}/{size}" for size in AVATAR_SIZES]


def attachment_key(attachment_id: Snowflake) -> str:
    return f"attachments/{attachment_id}"


def thumbnail_key(attachment_id: Snowflake) -> str:
    return f"thumbnails/{attachment_id}"


def avatar_key(user_id: Snowflake, version: str, size: int) -> str:
    return FileRef(FileKind.AVATAR, user_id, version).storage_keys()[AVATAR_SIZES.index(size)]


def icon_key(server_id: Snowflake, version: str, size: int) -> str:
    return FileRef(FileKind.ICON, server_id, version).storage_keys()[AVATAR_SIZES.index(size)]


def picture_version(images: dict[int, bytes]) -> str:
    """The version of a set of avatar or icon images: a hash of their bytes (16 hex digits),
    so a new picture gets new URLs and an old URL never shows a new picture."""
    digest = hashlib.sha256()
    for size in sorted(images):
        digest.update(images[size])
    return digest.hexdigest()[:16]


def is_version(value: str) -> bool:
    return _VERSION.match(value) is not None


def is_image(content_type: str) -> bool:
    return content_type in IMAGE_TYPES


def claims_image(filename: str, declared_type: str | None) -> bool:
    """Whether the client presents the file as an image, by its name or its declared type.

    Such a file must really be one (a "PNG" that is not is refused); any other file is kept
    with the type its bytes show.
    """
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    declared = (declared_type or "").split(";")[0].strip().lower()
    return guessed in IMAGE_TYPES or declared in IMAGE_TYPES


def serves_inline(content_type: str) -> bool:
    """Images are shown in place; everything else downloads (Content-Disposition)."""
    return is_image(content_type)

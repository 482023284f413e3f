"""Stored files: signed links to attachments, opening a file to serve it, and the crash-safe
write / delete discipline every use case that stores files follows (see `discord_core.files`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Final

from .. import files
from ..errors import NotFound
from ..files import FileKind, FileRef
from ..model import Attachment, Snowflake
from ..ports import Clock, Signer, UnitOfWork
from .base import Deps, UseCases

log = logging.getLogger(__name__)

UPLOAD_GRACE: Final = timedelta(hours=1)
"""How long the bytes of an upload may sit in storage before the row naming them commits;
after that the sweep deletes them (the request that stored them died)."""
PURGE_BATCH: Final = 200
FILE_NOT_FOUND: Final = "Unknown file."
_LINK_ROUNDING_S: Final = 3600


class Variant(StrEnum):
    ORIGINAL = "original"
    THUMBNAIL = "thumbnail"


@dataclass(frozen=True, slots=True)
class SignedLink:
    expires: int
    """Unix time in seconds."""
    signature: str


@dataclass(frozen=True, slots=True)
class FileGrant:
    """What a signed attachment URL says: which file, until when, and the signature."""

    channel_id: Snowflake
    attachment_id: Snowflake
    variant: Variant
    expires: int
    signature: str


@dataclass(frozen=True, slots=True)
class OpenedFile:
    """A file ready to be served: where its bytes are and how to present them."""

    key: str
    size: int
    content_type: str
    filename: str
    inline: bool
    etag: str


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes to store under a key: a local file, or small bytes (thumbnails, avatars)."""

    key: str
    source: Path | bytes
    content_type: str


def _unknown_file() -> NotFound:
    return NotFound(FILE_NOT_FOUND, code="unknown_file")


def _link_message(variant: Variant, channel_id: int, attachment_id: int, expires: int) -> str:
    return f"attachment:{variant.value}:{channel_id}:{attachment_id}:{expires}"


async def store_files(deps: Deps, refs: Sequence[FileRef], blobs: Sequence[Blob]) -> None:
    """Write blobs to storage, crash-safely: first commit the refs as due in UPLOAD_GRACE (so
    bytes left behind by a crash are swept), then write. The caller cancels the refs in the
    transaction that commits the rows naming the files, or calls `discard_files`.
    If writing fails, what was written is deleted and the error raised."""
    due = deps.clock.now() + UPLOAD_GRACE

    async def record(uow: UnitOfWork) -> None:
        await uow.file_deletions.schedule(refs, due)

    await deps.uow.run(record)
    try:
        for blob in blobs:
            await deps.storage.put(blob.key, blob.source, blob.content_type)
    except BaseException:
        await discard_files(deps, refs)
        raise


async def discard_files(deps: Deps, refs: Sequence[FileRef]) -> None:
    """Delete the refs' files now, after the rows naming them are gone (or never committed).
    Files a row still names are kept. Best effort: what fails stays scheduled for the sweep."""
    if not refs:
        return
    try:
        await _delete_unnamed(deps, refs)
    except Exception:
        log.warning(
            "deleting %d stored file(s) failed; the sweep retries", len(refs), exc_info=True
        )


async def purge_due(deps: Deps, limit: int = PURGE_BATCH) -> int:
    """Delete the files whose deletion is due (one batch); return how many refs went."""
    async with deps.uow(read_only=True) as uow:
        refs = await uow.file_deletions.due(deps.clock.now(), limit)
    if refs:
        await _delete_unnamed(deps, refs)
    return len(refs)


async def _delete_unnamed(deps: Deps, refs: Sequence[FileRef]) -> None:
    """Delete from storage the files of the refs that no row names, then forget the refs.
    A file is never deleted while a row names it, whatever was scheduled."""
    async with deps.uow(read_only=True) as uow:
        named = set(await uow.file_deletions.still_named(refs))
    doomed = [key for ref in refs if ref not in named for key in ref.storage_keys()]
    if doomed:
        await deps.storage.delete(doomed)

    async def forget(uow: UnitOfWork) -> None:
        await uow.file_deletions.cancel(refs)

    await deps.uow.run(forget)


async def purge_quietly(deps: Deps) -> None:
    """`purge_due` right after a delete committed: best effort, the sweep does the rest."""
    try:
        await purge_due(deps)
    except Exception:
        log.warning("deleting stored files failed; the sweep retries", exc_info=True)


async def store_pictures(
    deps: Deps, kind: FileKind, owner_id: Snowflake, images: dict[int, bytes]
) -> FileRef:
    """Store a new avatar or icon version (crash-safely, like any upload); its ref."""
    ref = FileRef(kind, owner_id, files.picture_version(images))
    keys = ref.storage_keys()
    blobs = [
        Blob(keys[files.AVATAR_SIZES.index(size)], images[size], files.AVATAR_TYPE)
        for size in files.AVATAR_SIZES
    ]
    await store_files(deps, [ref], blobs)
    return ref


class Linker:
    """Signed links to attachments. Who may see an attachment is decided where its message is
    handed out (`access.channel_access`, like every message read, and the gateway's routing); a
    link then works for whoever holds it until it expires, like Discord's CDN links."""

    def __init__(self, signer: Signer, clock: Clock, ttl: timedelta) -> None:
        self._signer = signer
        self._clock = clock
        self._ttl = ttl.total_seconds()

    def link(self, attachment: Attachment, variant: Variant = Variant.ORIGINAL) -> SignedLink:
        """A signed link to the attachment's file. It expires `ttl` from now, rounded up to
        the next whole hour (the same URL for an hour: clients cache by it)."""
        now = self._clock.now().timestamp()
        expires = math.ceil((now + self._ttl) / _LINK_ROUNDING_S) * _LINK_ROUNDING_S
        message = _link_message(variant, attachment.channel_id, attachment.id, expires)
        return SignedLink(expires, self._signer.sign(message))

    def valid(self, grant: FileGrant) -> bool:
        """The signature is ours and has not expired."""
        message = _link_message(grant.variant, grant.channel_id, grant.attachment_id, grant.expires)
        if not self._signer.verify(message, grant.signature):
            return False
        return grant.expires > self._clock.now().timestamp()


class FileUseCases(UseCases):
    """Serving stored files, and the sweep of files whose deletion is due."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.linker = Linker(deps.signer, deps.clock, deps.file_url_ttl)

    async def open_attachment(self, grant: FileGrant) -> OpenedFile:
        """The file a signed link names. A wrong or expired signature, an attachment that is
        gone (its message, channel or server was deleted) or a thumbnail of a non-image:
        the same 404."""
        if not self.linker.valid(grant):
            raise _unknown_file()
        async with self.deps.uow(read_only=True) as uow:
            attachment = await uow.attachments.get(grant.attachment_id)
        if attachment is None or attachment.channel_id != grant.channel_id:
            raise _unknown_file()
        if grant.variant is Variant.THUMBNAIL:
            if not attachment.has_thumbnail:
                raise _unknown_file()
            return OpenedFile(
                key=files.thumbnail_key(attachment.id),
                size=await self._size(files.thumbnail_key(attachment.id)),
                content_type=files.THUMBNAIL_TYPE,
                filename=f"{attachment.id}.webp",
                inline=True,
                etag=f"t{attachment.id}",
            )
        return OpenedFile(
            key=files.attachment_key(attachment.id),
            size=attachment.size,
            content_type=attachment.content_type,
            filename=attachment.filename,
            inline=files.serves_inline(attachment.content_type),
            etag=attachment.sha256,
        )

    async def open_picture(
        self, kind: FileKind, owner_id: Snowflake, version: str, size: int
    ) -> OpenedFile:
        """A user's avatar or a server's icon, by version. These are public like Discord's:
        the URL names a content version that only people who can see the user or the
        server learn."""
        if kind is FileKind.ATTACHMENT or size not in files.AVATAR_SIZES:
            raise _unknown_file()
        if not files.is_version(version):
            raise _unknown_file()
        key = FileRef(kind, owner_id, version).storage_keys()[files.AVATAR_SIZES.index(size)]
        return OpenedFile(
            key=key,
            size=await self._size(key),
            content_type=files.AVATAR_TYPE,
            filename=f"{owner_id}-{size}.png",
            inline=True,
            etag=f"{version}-{size}",
        )

    async def purge_due(self, limit: int = PURGE_BATCH) -> int:
        return await purge_due(self.deps, limit)

    async def _size(self, key: str) -> int:
        size = await self.deps.storage.size(key)
        if size is None:
            raise _unknown_file()
        return size

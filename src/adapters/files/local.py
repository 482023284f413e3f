"""File storage in a folder (the embedded default: `<data dir>/files`).

A key is a relative path under the root. Writes go to a temporary name in the same folder,
are fsynced, then renamed over the key (atomic: a reader sees the old file or the new one);
a local source file is hard-linked when it is on the same file system (no copy), else copied.
Folders are 0700 and files 0600 whatever the umask (they are people's private files).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from discord_core.errors import StoredFileMissing

from . import CHUNK_SIZE, check_key, io_pool

if TYPE_CHECKING:
    from discord_core.ports import FileStorage

T = TypeVar("T")


class LocalFileStorage:
    def __init__(self, root: Path, executor: Executor | None = None) -> None:
        self.root = root.resolve()
        self._executor = executor or io_pool()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def check(self) -> None:
        """At start: the root exists, private, and is writable (a clear error otherwise)."""
        await self._run(_private_dirs, self.root)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"the file storage folder {self.root} is not writable")

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def put(self, key: str, source: Path | bytes, content_type: str) -> None:
        await self._run(self._put, self._path(key), source)

    def _put(self, dest: Path, source: Path | bytes) -> None:
        _private_dirs(dest.parent)
        temporary = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
        try:
            if isinstance(source, bytes):
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as file:
                    file.write(source)
                    file.flush()
                    os.fsync(file.fileno())
            else:
                _link_or_copy(source, temporary)
            os.replace(temporary, dest)
            _fsync_dir(dest.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    async def size(self, key: str) -> int | None:
        path = self._path(key)
        try:
            return (await self._run(os.stat, path)).st_size
        except FileNotFoundError:
            return None

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await self._run(_open_at, path, offset)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise StoredFileMissing(key) from exc
        return self._chunks(file, length)

    async def _chunks(self, file: BinaryIO, length: int | None) -> AsyncIterator[bytes]:
        try:
            left = length
            while left is None or left > 0:
                want = CHUNK_SIZE if left is None else min(CHUNK_SIZE, left)
                chunk = await self._run(file.read, want)
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            await self._run(file.close)

    async def delete(self, keys: Sequence[str]) -> None:
        paths = [self._path(key) for key in keys]
        if paths:
            await self._run(self._delete, paths)

    def _delete(self, paths: list[Path]) -> None:
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            _remove_empty_parents(path.parent, self.root)


def _open_at(path: Path, offset: int) -> BinaryIO:
    file = open(path, "rb")  # noqa: SIM115 - closed by the reader
    if offset:
        file.seek(offset)
    return file


def _link_or_copy(source: Path, temporary: Path) -> None:
    try:
        os.link(source, temporary)
    except OSError:  # another file system (or links not allowed): copy
        shutil.copyfile(source, temporary)
    os.chmod(temporary, 0o600)
    with open(temporary, "rb+") as file:
        os.fsync(file.fileno())


def _private_dirs(directory: Path) -> None:
    """Create `directory` and its missing parents, each 0700 (Path.mkdir gives the parents it
    creates the default mode)."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty_parents(directory: Path, root: Path) -> None:
    """avatars/<user>/<version>/ folders go when their last file does (never the root)."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:  # not empty (or already gone): stop
            return
        directory = directory.parent


if TYPE_CHECKING:
    _check: type[FileStorage] = LocalFileStorage

"""The `FileStorage` port's contract, run on every adapter: the folder (embedded default),
S3-compatible storage against a real S3 server (moto's server mode), and the unit tests' fake
(so the fake the use-case tests trust keeps the same contract)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.files import CHUNK_SIZE
from adapters.files.local import LocalFileStorage
from adapters.files.s3 import S3FileStorage
from discord_core.errors import StoredFileMissing
from discord_core.ports import FileStorage

from ..unit.fakes import FakeFileStorage
from .s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server

ADAPTERS = ["local", "s3", "fake"]


@pytest.fixture(params=ADAPTERS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FileStorage]:
    if request.param == "local":
        yield LocalFileStorage(tmp_path / "files")
    elif request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        bucket: str = request.getfixturevalue("s3_bucket")
        s3 = S3FileStorage(
            bucket,
            endpoint_url=server.endpoint_url,
            region=REGION,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            prefix="concord/",
        )
        await s3.check()
        yield s3
        await s3.close()
    else:
        yield FakeFileStorage()


async def read(storage: FileStorage, key: str, offset: int = 0, length: int | None = None) -> bytes:
    chunks = await storage.open(key, offset, length)
    return b"".join([chunk async for chunk in chunks])


async def test_bytes_round_trip(storage: FileStorage) -> None:
    await storage.put("attachments/1", b"hello, world", "text/plain")
    assert await storage.size("attachments/1") == 12
    assert await read(storage, "attachments/1") == b"hello, world"


async def test_a_local_file_round_trip_in_bounded_chunks(
    storage: FileStorage, tmp_path: Path
) -> None:
    """12 MiB: over S3's multipart threshold, many chunks; never one big read."""
    data = os.urandom(12 * 1024 * 1024 + 17)
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    await storage.put("attachments/2", source, "application/octet-stream")
    assert await storage.size("attachments/2") == len(data)
    chunks = await storage.open("attachments/2")
    digest = hashlib.sha256()
    largest = 0
    async for chunk in chunks:
        largest = max(largest, len(chunk))
        digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()
    assert largest <= CHUNK_SIZE


async def test_stored_bytes_do_not_depend_on_the_source_file(
    storage: FileStorage, tmp_path: Path
) -> None:
    source = tmp_path / "upload.bin"
    source.write_bytes(b"first")
    await storage.put("attachments/3", source, "text/plain")
    source.unlink()  # the upload's temporary file goes away after the put
    assert await read(storage, "attachments/3") == b"first"


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, None, b"0123456789"),
        (0, 1, b"0"),
        (3, 4, b"3456"),
        (9, None, b"9"),
        (7, 100, b"789"),
        (5, 0, b""),
    ],
)
async def test_ranges(
    storage: FileStorage, offset: int, length: int | None, expected: bytes
) -> None:
    await storage.put("thumbnails/4", b"0123456789", "application/octet-stream")
    assert await read(storage, "thumbnails/4", offset, length) == expected


async def test_put_replaces(storage: FileStorage) -> None:
    await storage.put("avatars/5/0123456789abcdef/128", b"old", "image/png")
    await storage.put("avatars/5/0123456789abcdef/128", b"newer", "image/png")
    assert await read(storage, "avatars/5/0123456789abcdef/128") == b"newer"
    assert await storage.size("avatars/5/0123456789abcdef/128") == 5


async def test_missing_keys(storage: FileStorage) -> None:
    assert await storage.size("attachments/404") is None
    with pytest.raises(StoredFileMissing):
        await storage.open("attachments/404")
    await storage.delete(["attachments/404"])  # no error


async def test_delete_many_keeps_the_others(storage: FileStorage) -> None:
    for n in range(5):
        await storage.put(f"attachments/{n}", f"file {n}".encode(), "text/plain")
    await storage.delete(["attachments/1", "attachments/3", "attachments/999"])
    assert [await storage.size(f"attachments/{n}") for n in range(5)] == [6, None, 6, None, 6]


@pytest.mark.parametrize("key", ["", "../x", "a//b", "a/../b", "/abs", "UPPER/x", "a b", "a/./b"])
async def test_keys_that_are_not_storage_keys_are_refused(storage: FileStorage, key: str) -> None:
    with pytest.raises(ValueError, match="storage key"):
        await storage.put(key, b"x", "text/plain")


async def test_concurrent_puts(storage: FileStorage) -> None:
    await asyncio.gather(
        *(storage.put(f"attachments/{n}", bytes([n]) * 1000, "x/y") for n in range(20))
    )
    sizes = await asyncio.gather(*(storage.size(f"attachments/{n}") for n in range(20)))
    assert sizes == [1000] * 20


async def test_local_writes_leave_no_partial_files_and_no_empty_folders(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path / "files")
    source = tmp_path / "up.bin"
    source.write_bytes(b"x" * 1000)
    await storage.put("avatars/7/0123456789abcdef/128", source, "image/png")
    await storage.put("avatars/7/0123456789abcdef/512", b"y", "image/png")
    names = sorted(p.name for p in (tmp_path / "files").rglob("*"))
    assert not [n for n in names if n.endswith(".part")]
    await storage.delete(["avatars/7/0123456789abcdef/128", "avatars/7/0123456789abcdef/512"])
    assert list((tmp_path / "files").rglob("*")) == []

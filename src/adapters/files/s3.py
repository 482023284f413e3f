"""File storage in an S3-compatible bucket (scaled deployments: any instance serves any file).

boto3 is synchronous: every call runs in this adapter's thread pool, never on the event loop.
Local files go up with boto3's managed transfer (multipart above 8 MiB, one part in memory at a
time); reads are ranged GETs streamed in chunks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from discord_core.errors import StoredFileMissing

from ..errors import BackendUnavailable
from . import CHUNK_SIZE, check_key, io_pool

if TYPE_CHECKING:
    from discord_core.ports import FileStorage

T = TypeVar("T")
PART_SIZE: Final = 8 * 1024 * 1024
_MISSING: Final = frozenset({"404", "NoSuchKey", "NotFound"})
_DELETE_BATCH: Final = 1000


class S3FileStorage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        executor: Executor | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._executor = executor or io_pool(16)
        config = Config(
            region_name=region,
            retries={"max_attempts": 4, "mode": "standard"},
            max_pool_connections=16,
            s3={"addressing_style": "path"},
            # Checksums only where S3 requires them: MinIO, moto and older S3-compatible
            # servers do not all accept the newer default trailers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )
        self._transfer = TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, use_threads=False
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def check(self) -> None:
        """Fail with a clear message when the bucket cannot be reached (at start)."""
        try:
            await self._run(self._client.head_bucket, Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise BackendUnavailable(
                f"the S3 bucket {self.bucket!r} is unreachable: {exc}"
            ) from exc

    async def put(self, key: str, source: Path | bytes, content_type: str) -> None:
        name = self._key(key)
        if isinstance(source, bytes):
            await self._run(
                self._client.put_object,
                Bucket=self.bucket,
                Key=name,
                Body=source,
                ContentType=content_type,
            )
            return
        await self._run(
            self._client.upload_file,
            str(source),
            self.bucket,
            name,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer,
        )

    async def size(self, key: str) -> int | None:
        try:
            head = await self._run(self._client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        if length == 0:
            return _empty()
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            arguments["Range"] = f"bytes={offset}-{end}"
        try:
            response = await self._run(self._client.get_object, **arguments)
        except ClientError as exc:
            if _is_missing(exc) or _code(exc) == "InvalidRange":
                raise StoredFileMissing(key) from exc
            raise
        return self._chunks(response["Body"])

    async def _chunks(self, body: Any) -> AsyncIterator[bytes]:
        try:
            while chunk := await self._run(body.read, CHUNK_SIZE):
                yield chunk
        finally:
            await self._run(body.close)

    async def delete(self, keys: Sequence[str]) -> None:
        names = [self._key(key) for key in keys]
        for start in range(0, len(names), _DELETE_BATCH):
            batch = names[start : start + _DELETE_BATCH]
            response = await self._run(
                self._client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": name} for name in batch], "Quiet": True},
            )
            errors = [e for e in response.get("Errors", []) if e.get("Code") not in _MISSING]
            if errors:
                raise OSError(f"S3 refused to delete {len(errors)} object(s): {errors[0]}")

    async def close(self) -> None:
        await self._run(self._client.close)


async def _empty() -> AsyncIterator[bytes]:
    return
    yield  # pragma: no cover - makes this an async generator


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_missing(exc: ClientError) -> bool:
    return _code(exc) in _MISSING


if TYPE_CHECKING:
    _check: type[FileStorage] = S3FileStorage

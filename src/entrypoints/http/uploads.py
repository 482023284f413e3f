"""Receiving a multipart/form-data message post (Discord's shape: `payload_json` and
`files[0]` .. `files[9]`), streamed from the socket into temporary files.

Why not Litestar's own form parsing: `Request.form()` parses the whole body before the handler
runs, spooling every file past 1 MiB to an anonymous temporary file, under one body-size cap
for the whole request. We drive the same streaming parser it uses (`multipart`, by the same
author as Bottle) ourselves, so that:
- the bytes go to a file in the upload folder, which storage then hard-links (no second copy);
- the per-file, per-request and file-count limits stop the upload the moment they are passed
  (413, the rest of the body is never read), and a caller who cannot post in the channel is
  refused before any byte of the body is read;
- hashing happens on the way in, in the thread that writes (never on the event loop);
- a client that vanishes or stalls mid-upload leaves nothing behind.
At most `WRITE_BATCH` bytes of an upload are in memory at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from litestar import Request
from litestar.exceptions import HTTPException
from multipart import (
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
)

from discord_core.errors import PayloadTooLarge, ValidationFailed
from discord_core.limits import FileLimits
from discord_core.model import Upload

T = TypeVar("T")
PAYLOAD_FIELD: Final = "payload_json"
PAYLOAD_MAX_BYTES: Final = 64 * 1024
FORM_OVERHEAD: Final = PAYLOAD_MAX_BYTES + 64 * 1024
"""Room for part headers and payload_json beyond the files' own bytes."""
WRITE_BATCH: Final = 1024 * 1024
IDLE_TIMEOUT_S: Final = 30.0
"""A client that sends nothing for this long mid-upload is dropped (408)."""
_FILE_FIELD: Final = re.compile(r"^files\[(\d{1,2})\]$")


class ClientGone(Exception):
    """The client disconnected before the body was complete."""


@dataclass
class ReceivedForm:
    payload: bytes | None = None
    uploads: list[Upload] = field(default_factory=list)


class _Spool:
    """One file being received: a temporary file, its size and hash so far, and a buffer."""

    def __init__(self, directory: Path) -> None:
        fd, name = tempfile.mkstemp(dir=directory, prefix="up-", suffix=".part")
        self.fd = fd
        self.path = name
        self.size = 0
        self.digest = hashlib.sha256()
        self.buffer = bytearray()

    def write(self, data: bytes | bytearray) -> None:
        """In a worker thread: hash and write everything."""
        self.digest.update(data)
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def close(self) -> None:
        """Once only: closing a descriptor twice could close another file that reused its
        number in the meantime (another request's, or the database's)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


_IO: ThreadPoolExecutor | None = None


def _io_pool() -> ThreadPoolExecutor:
    """The threads that write uploads (one pool per process, apart from asyncio's default
    pool, which the password hasher uses)."""
    global _IO
    if _IO is None:
        _IO = ThreadPoolExecutor(max_workers=8, thread_name_prefix="upload-io")
    return _IO


class FormReceiver:
    """Parses one multipart body into temporary files under `directory`."""

    def __init__(
        self, directory: Path, limits: FileLimits, executor: Executor | None = None
    ) -> None:
        self.directory = directory
        self.limits = limits
        self._executor = executor or _io_pool()

    @property
    def max_body_bytes(self) -> int:
        return self.limits.max_request_bytes + FORM_OVERHEAD

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @contextlib.asynccontextmanager
    async def receive(self, request: Request[Any, Any, Any]) -> AsyncIterator[ReceivedForm]:
        """The form, its files in temporary files that are deleted when the block ends."""
        boundary = _boundary(request)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge("The request is larger than the upload limit.", field="files")
        form = ReceivedForm()
        spools: list[_Spool] = []
        try:
            await self._parse(request, boundary, form, spools)
            yield form
        finally:
            await self._run(_remove, spools)

    async def _parse(
        self,
        request: Request[Any, Any, Any],
        boundary: str,
        form: ReceivedForm,
        spools: list[_Spool],
    ) -> None:
        parser = PushMultipartParser(
            boundary,
            max_header_size=4096,
            max_header_count=8,
            max_segment_count=self.limits.max_files + 4,
        )
        state = _State(form)
        total = 0
        try:
            with parser:
                async for chunk in _body(request):
                    total += len(chunk)
                    if total > self.max_body_bytes:
                        raise PayloadTooLarge(
                            "The request is larger than the upload limit.", field="files"
                        )
                    for event in parser.parse(chunk):
                        await self._on_event(event, state, spools)
                    if parser.closed:
                        break
                for event in parser.parse(b""):  # the end: complain if it came too soon
                    await self._on_event(event, state, spools)
        except ParserLimitReached as exc:
            raise PayloadTooLarge("The form has too many parts.", field="files") from exc
        except MultipartError as exc:
            raise ValidationFailed(
                f"The multipart body is malformed: {exc}", code="bad_request"
            ) from exc
        if not parser.closed:
            raise ValidationFailed("The multipart body ended too soon.", code="bad_request")

    async def _on_event(self, event: Any, state: _State, spools: list[_Spool]) -> None:
        if isinstance(event, MultipartSegment):
            self._begin(event, state, spools)
        elif event:
            await self._data(event, state)
        else:
            await self._end(state)

    def _begin(self, segment: MultipartSegment, state: _State, spools: list[_Spool]) -> None:
        name = segment.name or ""
        if name in state.seen:
            raise ValidationFailed(f"The form names {name} twice.", field=name)
        state.seen.add(name)
        state.segment = segment
        if name == PAYLOAD_FIELD:
            state.spool = None
            state.text = bytearray()
            return
        match = _FILE_FIELD.match(name)
        if match is None:
            raise ValidationFailed(
                f"Unknown form field {name!r}: send payload_json and files[0] .. files[n].",
                field=name or "files",
            )
        if state.files >= self.limits.max_files:
            raise PayloadTooLarge(
                f"A message can carry at most {self.limits.max_files} files.", field="files"
            )
        if segment.filename is None:
            raise ValidationFailed(f"{name} has no filename.", code="invalid_filename", field=name)
        state.files += 1
        state.text = None
        state.spool = _Spool(self.directory)
        spools.append(state.spool)

    async def _data(self, data: bytes | bytearray, state: _State) -> None:
        if state.text is not None:
            state.text.extend(data)
            if len(state.text) > PAYLOAD_MAX_BYTES:
                raise PayloadTooLarge(
                    f"payload_json is larger than {PAYLOAD_MAX_BYTES // 1024} KiB.",
                    field=PAYLOAD_FIELD,
                )
            return
        spool = state.spool
        assert spool is not None
        assert state.segment is not None
        spool.size += len(data)
        state.request_bytes += len(data)
        if spool.size > self.limits.max_file_bytes:
            raise PayloadTooLarge(
                f"{state.segment.name} is larger than {_mib(self.limits.max_file_bytes)}.",
                field=state.segment.name,
            )
        if state.request_bytes > self.limits.max_request_bytes:
            raise PayloadTooLarge(
                f"The files are larger than {_mib(self.limits.max_request_bytes)} together.",
                field="files",
            )
        spool.buffer.extend(data)
        if len(spool.buffer) >= WRITE_BATCH:
            await self._flush(spool)

    async def _flush(self, spool: _Spool) -> None:
        if spool.buffer:
            await self._run(spool.write, spool.buffer)
            spool.buffer = bytearray()

    async def _end(self, state: _State) -> None:
        segment = state.segment
        assert segment is not None
        if state.text is not None:
            state.form.payload = bytes(state.text)
        elif state.spool is not None:
            spool = state.spool
            await self._flush(spool)
            await self._run(spool.close)
            state.form.uploads.append(
                Upload(
                    field=segment.name or "files",
                    filename=segment.filename or "",
                    declared_type=segment.content_type,
                    path=spool.path,
                    size=spool.size,
                    sha256=spool.digest.hexdigest(),
                )
            )
        state.segment, state.spool, state.text = None, None, None


@dataclass
class _State:
    form: ReceivedForm
    segment: MultipartSegment | None = None
    spool: _Spool | None = None
    text: bytearray | None = None
    files: int = 0
    request_bytes: int = 0
    seen: set[str] = field(default_factory=set)


def _boundary(request: Request[Any, Any, Any]) -> str:
    _, options = request.content_type
    boundary = options.get("boundary")
    if not boundary:
        raise ValidationFailed(
            "multipart/form-data needs a boundary in its Content-Type.", code="bad_request"
        )
    return boundary


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The raw body as it arrives (nothing is buffered beyond one ASGI message)."""
    receive = request.receive
    while True:
        try:
            message = await asyncio.wait_for(receive(), IDLE_TIMEOUT_S)
        except TimeoutError as exc:
            raise HTTPException(
                status_code=408, detail=f"The upload stalled for {IDLE_TIMEOUT_S:g} s."
            ) from exc
        if message["type"] == "http.disconnect":
            raise ClientGone
        body: bytes = message.get("body", b"")  # type: ignore[assignment]
        if body:
            yield body
        if not message.get("more_body", False):
            return


def _remove(spools: list[_Spool]) -> None:
    for spool in spools:
        spool.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spool.path)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"

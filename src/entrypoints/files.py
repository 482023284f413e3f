"""The lifecycle of file storage in a running instance: the storage and media adapters'
start and stop, and the sweep of files whose deletion is due (and of stale uploads)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from adapters.media import PillowMedia
from discord_core.ports import FileStorage
from discord_core.usecases import FileUseCases
from discord_core.usecases.files import PURGE_BATCH, UPLOAD_GRACE

log = logging.getLogger(__name__)

FIRST_SWEEP_S = 5.0


class StorageService:
    """Checks the storage at start (an unreachable S3 bucket fails the start with a clear
    message) and releases the adapters' threads at stop."""

    def __init__(self, storage: FileStorage, media: PillowMedia) -> None:
        self.storage = storage
        self.media = media

    async def start(self) -> None:
        check: Any = getattr(self.storage, "check", None)
        if check is not None:
            await check()

    async def stop(self) -> None:
        close: Any = getattr(self.storage, "close", None)
        if close is not None:
            await close()
        self.media.close()


class FileSweeper:
    """Every `interval_s`: delete the stored files whose deletion is due (what deletes and
    failed uploads left, see discord_core.files), and uploads in `upload_dir` older than the
    upload grace period (a request that died while receiving). Every instance sweeps; the
    work is idempotent, so several at once only repeat each other."""

    def __init__(self, files: FileUseCases, upload_dir: Path, interval_s: float) -> None:
        self.files = files
        self.upload_dir = upload_dir
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.upload_dir.chmod(0o700)
        self._task = asyncio.create_task(self._run(), name="file-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await asyncio.sleep(min(FIRST_SWEEP_S, self.interval_s))
        while True:
            try:
                await self.sweep()
            except Exception:
                log.warning("the file sweep failed; it runs again later", exc_info=True)
            await asyncio.sleep(self.interval_s)

    async def sweep(self) -> int:
        """One sweep; how many file refs were handled."""
        handled = 0
        while True:
            done = await self.files.purge_due(PURGE_BATCH)
            handled += done
            if done < PURGE_BATCH:
                break
        removed = await asyncio.to_thread(
            _remove_stale, self.upload_dir, UPLOAD_GRACE.total_seconds()
        )
        if handled or removed:
            log.info(
                "file sweep: %d deletion(s) done, %d stale upload(s) removed", handled, removed
            )
        return handled


def _remove_stale(directory: Path, older_than_s: float) -> int:
    cutoff = time.time() - older_than_s
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed

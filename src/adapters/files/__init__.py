"""File storage adapters (the core's `FileStorage` port): a folder, or S3-compatible storage.

Both do their blocking work (file system calls, boto3) in a thread pool of their own, never on
the event loop, and stream reads in chunks of `CHUNK_SIZE`.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Final

CHUNK_SIZE: Final = 256 * 1024
_KEY: Final = re.compile(r"^[a-z0-9_.-]+(/[a-z0-9_.-]+)*$")


def check_key(key: str) -> str:
    """A storage key as `discord_core.files` makes them; anything else is a bug (ValueError)."""
    if len(key) > 512 or not _KEY.match(key) or any(p in (".", "..") for p in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def io_pool(workers: int = 8) -> ThreadPoolExecutor:
    """Threads for file and network I/O (kept apart from asyncio's default pool, which the
    password hasher uses: a burst of uploads must not delay logins)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="file-io")

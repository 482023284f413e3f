"""Files the service writes hold secrets (the signing key, password hashes, emails): the data
folder is created 0700, the SQLite file and its -wal / -shm 0600, the secret 0600, whatever
the umask; a database file an older version left readable is tightened at start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from entrypoints.settings import Settings

from ..api.harness import Api, live_server, make_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_data_folder_and_database_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    old_umask = os.umask(0o002)  # a permissive umask must not matter
    try:
        with live_server(make_settings(data_dir)) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
                await Api(http, server).register("files")  # writes: the WAL exists now
            files = {p.name: mode(p) for p in data_dir.iterdir()}
    finally:
        os.umask(old_umask)
    assert mode(data_dir) == 0o700
    assert {"concord.db", "concord.db-wal", "concord.db-shm"} <= set(files), files
    folders = {p.name for p in data_dir.iterdir() if p.is_dir()}  # uploads/, files/
    expected = {n: 0o700 if n in folders else 0o600 for n in files}
    assert files == expected, {n: oct(m) for n, m in files.items()}


def test_the_generated_secret_and_its_folder_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "secret-home"
    Settings(data_dir=data_dir).with_secret()
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret.key") == 0o600


async def test_a_readable_database_file_is_tightened(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    db = data_dir / "concord.db"
    db.touch()
    db.chmod(0o644)
    with live_server(make_settings(data_dir)):
        pass
    assert mode(db) == 0o600

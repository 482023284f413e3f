"""Workload 5: history. A page of 50 at depth 0, 10k, 100k and 1M messages in one channel.

The channel is filled straight through SQL (one transaction of executemany on SQLite, COPY on
PostgreSQL) with increasing snowflake ids in the past, then the app serves
GET /channels/{id}/messages?before=<id at depth>&limit=50, the depths interleaved, one request
at a time; the median per depth is reported. Target: flat (deepest <= 1.2x shallowest).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from . import rawdb
from .harness import Config, Line, community, concord, emit, load, skip, verdict, voids
from .stats import fmt, ms

TARGET = 1.2
WORKER = 1001
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
EPOCH_MS = int(EPOCH.timestamp()) * 1000
COLUMNS = ["id", "channel_id", "server_id", "author_id", "content", "created_at"]


def run(cfg: Config) -> None:
    depths = cfg.size([0, 10_000, 100_000, 1_000_000], [0, 100, 1_000])
    why = asyncio.run(rawdb.pg_available(cfg.pg_url))
    for db in ("sqlite", "postgresql"):
        if db == "postgresql" and why:
            skip(cfg, "5", "postgresql history", f"PostgreSQL not reachable ({why})")
            continue
        print(f"== workload 5: history pages, {db}, depths {depths}", flush=True)
        if db == "sqlite":
            _one(cfg, db, rawdb.sqlite_url(cfg.workdir / "w5.db"), depths)
        else:
            url = asyncio.run(rawdb.create_pg_database(cfg.pg_url))
            try:
                _one(cfg, db, url, depths)
            finally:
                asyncio.run(rawdb.drop_pg_database(url))


class Channel:
    def __init__(self, total: int) -> None:
        self.total = total
        now_ms = time.time_ns() // 1_000_000 - EPOCH_MS
        self.start_ms = now_ms - total - 60_000  # all in the past, one per millisecond

    def id_at(self, index: int) -> int:
        return ((self.start_ms + index) << 22) | (WORKER << 12)

    def created_at(self, index: int) -> datetime:
        return EPOCH + timedelta(milliseconds=self.start_ms + index)

    def before(self, depth: int) -> int:
        """The cursor whose page starts `depth` messages below the newest."""
        return self.id_at(self.total - depth)


def _fill_sqlite(path: str, ch: Channel, ids: tuple[int, int, int]) -> None:
    channel_id, server_id, author_id = ids
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        rows = (
            (
                ch.id_at(i),
                channel_id,
                server_id,
                author_id,
                f"history message {i}",
                ch.created_at(i).strftime("%Y-%m-%d %H:%M:%S.%f"),
            )
            for i in range(ch.total)
        )
        conn.executemany(
            f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _fill_postgres(url: str, ch: Channel, ids: tuple[int, int, int]) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    channel_id, server_id, author_id = ids
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = (
            (
                ch.id_at(i),
                channel_id,
                server_id,
                author_id,
                f"history message {i}",
                ch.created_at(i),
            )
            for i in range(ch.total)
        )
        await conn.copy_records_to_table("messages", records=rows, columns=COLUMNS)
        await conn.execute("ANALYZE messages")
    finally:
        await conn.close()


def _me(base: str, token: str) -> str:
    r = httpx.get(f"{base}/api/v1/users/@me", headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return str(r.json()["id"])


def _one(cfg: Config, db: str, url: str, depths: list[int]) -> None:
    ch = Channel(max(depths) + 100)
    with concord(cfg, f"w5-{db}-setup", database_url=url) as app:
        com = community(app, 1)
        owner_id = _me(app.base, com.owner_token)
    ids = (int(com.channel_id), int(com.server_id), int(owner_id))
    t0 = time.perf_counter()
    if db == "sqlite":
        _fill_sqlite(url.split(":///", 1)[1], ch, ids)
    else:
        asyncio.run(_fill_postgres(url, ch, ids))
    rows = asyncio.run(rawdb.count_messages(url))
    print(f"  {rows:,} messages inserted in {time.perf_counter() - t0:.1f} s", flush=True)
    labels = {f"{d:,}": d for d in depths}
    with concord(cfg, f"w5-{db}", database_url=url) as app:
        spec: dict[str, Any] = {
            "scenario": "history",
            "host": "127.0.0.1",
            "port": app.port,
            "headers": {"Authorization": f"Bearer {com.owner_token}"},
            "paths": {
                label: f"/api/v1/channels/{com.channel_id}/messages?before={ch.before(d)}&limit=50"
                for label, d in labels.items()
            },
            "warmup": cfg.size(20, 3),
            "requests": cfg.size(300, 10),
        }
        result = load(cfg, spec, app)
    void = voids(result)
    if rows != ch.total:
        void.append(f"errors: {rows} rows, expected {ch.total}")
    short = [label for label, d in result["depths"].items() if d["messages"] != 50]
    if short:
        void.append(f"errors: pages without 50 messages at depth {', '.join(short)}")
    first, last = (
        result["depths"][min(labels, key=labels.get)],
        result["depths"][max(labels, key=labels.get)],
    )
    ratio = last["p50"] / first["p50"] if first["p50"] else float("nan")
    all_depths = ", ".join(
        f"{label}: {ms(d['p50'])} (p99 {ms(d['p99'])})" for label, d in result["depths"].items()
    )
    emit(
        cfg,
        Line(
            "5",
            f"{db} page of 50 at depth {fmt(max(depths))} vs 0",
            f"{ms(last['p50'])} median (p99 {ms(last['p99'])})",
            f"{ms(first['p50'])} median at depth 0 (p99 {ms(first['p99'])})",
            f"{ratio:.2f}x",
            f"<= {TARGET}x",
            verdict(ratio <= TARGET, void),
            f"medians by depth: {all_depths}",
        ),
    )

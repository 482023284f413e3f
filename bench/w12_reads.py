"""Workload 12: read states (#15). READY for a user in 100 servers x 20 channels, and acks.

**READY** (in this process, straight on the use case, on SQLite and PostgreSQL): a reader in
100 servers of 20 channels each (2,000 channels, 5 messages in each, some mentioning the
reader, an @everyone in every server; half the channels read up to their second message) and,
in the same database, a reader in 1 server of 20 channels (the baseline). Measured: SQL
statements per READY (counted on the engines; the target is the same number for both: no
query per server or per channel) and the median time of one READY, 100x20 over 1x20 (what
the payload's size costs: 100 times the channels and read states).

**Acks** (the app serving on SQLite, over HTTP): 16 clients, each acking the messages of a
channel in order (again and again) for the window, against 16 clients reading GET /channels/{id} (an
authenticated lookup of the same channel row) in the same run: acks/s over reads/s, and the
server's CPU per ack.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, insert

from adapters.clock import SystemClock
from adapters.ids import SnowflakeGenerator
from adapters.memory.presence import InMemoryPresence
from adapters.sql.database import Database
from adapters.sql.models import (
    ChannelRow,
    MemberRow,
    MessageMentionRow,
    MessageRow,
    ReadStateRow,
    ServerRow,
    UserRow,
)
from discord_core.usecases import Deps, GatewayUseCases, Identity

from . import rawdb
from .harness import Config, Line, community, concord, emit, skip, verdict

WORKER_ID = 1012
MESSAGES_PER_CHANNEL = 5


async def _seed(db: Database, servers: int, channels: int) -> tuple[int, int]:
    """A reader in `servers` servers of `channels` channels (and an owner who writes);
    returns (reader id, channel count)."""
    ids = SnowflakeGenerator(WORKER_ID)
    now = datetime.now(UTC) - timedelta(hours=1)
    tag = secrets.token_hex(3)
    owner, reader = ids.next_id(), ids.next_id()
    users = [
        {
            "id": uid,
            "username": f"{name}{tag}",
            "email": f"{name}{tag}@example.com",
            "password_hash": "x",
            "status": "online",
            "created_at": now,
            "updated_at": now,
        }
        for uid, name in ((owner, "o"), (reader, "r"))
    ]
    server_rows, members, channel_rows, messages, mentions, reads = [], [], [], [], [], []
    for s in range(servers):
        sid = ids.next_id()
        server_rows.append(
            {"id": sid, "name": f"s{s}", "description": "", "owner_id": owner, "created_at": now}
        )
        members.append({"server_id": sid, "user_id": owner, "role": "owner", "joined_at": now})
        members.append({"server_id": sid, "user_id": reader, "role": "member", "joined_at": now})
        for c in range(channels):
            cid = ids.next_id()
            channel_rows.append(
                {
                    "id": cid,
                    "server_id": sid,
                    "name": f"c{c}",
                    "topic": "",
                    "position": c,
                    "created_at": now,
                }
            )
            for m in range(MESSAGES_PER_CHANNEL):
                mid = ids.next_id()
                everyone = c == 0 and m == MESSAGES_PER_CHANNEL - 1
                mentioned = m % 2 == 1
                messages.append(
                    {
                        "id": mid,
                        "channel_id": cid,
                        "server_id": sid,
                        "author_id": owner,
                        "content": f"m{m}",
                        "created_at": now + timedelta(seconds=m),
                        "mention_ids": str(reader) if mentioned else None,
                        "mention_everyone": everyone,
                    }
                )
                if mentioned and not everyone:
                    mentions.append({"user_id": reader, "channel_id": cid, "message_id": mid})
                if m == 1 and c % 2 == 0:
                    reads.append({"user_id": reader, "channel_id": cid, "last_read_id": mid})
    async with db.write_engine.begin() as conn:
        for table, rows in (
            (UserRow, users),
            (ServerRow, server_rows),
            (MemberRow, members),
            (ChannelRow, channel_rows),
            (MessageRow, messages),
            (MessageMentionRow, mentions),
            (ReadStateRow, reads),
        ):
            for start in range(0, len(rows), 2000):
                await conn.execute(insert(table.__table__), rows[start : start + 2000])
    return reader, len(channel_rows)


def _deps(db: Database) -> Deps:
    none: Any = None  # READY touches none of the other ports
    return Deps(
        uow=db.uow_factory,
        ids=SnowflakeGenerator(WORKER_ID + 1),
        clock=SystemClock(),
        events=none,
        hasher=none,
        tokens=none,
        presence=InMemoryPresence(),
        common_passwords=none,
        storage=none,
        media=none,
        signer=none,
        emoji=none,
    )


async def _ready(url: str, big: tuple[int, int], repeats: int) -> dict[str, Any]:
    db = Database.from_url(url)
    try:
        await db.upgrade()
        reader, channels = await _seed(db, *big)
        small, _ = await _seed(db, 1, big[1])
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        engines = {db.write_engine.sync_engine, db.read_engine.sync_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        gateway = GatewayUseCases(_deps(db))
        out: dict[str, Any] = {"channels": channels}
        for label, uid in (("big", reader), ("small", small)):
            identity = Identity(uid, "bench")
            state = await gateway.ready(identity)  # warm
            assert state.reads is not None
            out[f"{label}_states"] = len(state.reads.read_states)
            out[f"{label}_mentions"] = sum(s.mention_count for s in state.reads.read_states)
            statements[0] = 0
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                await gateway.ready(identity)
                times.append(time.perf_counter() - t0)
            out[f"{label}_statements"] = statements[0] / repeats
            out[f"{label}_ms"] = 1000 * statistics.median(times)
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
        return out
    finally:
        await db.dispose()


async def _throughput(
    base: str, tokens: list[str], channels: list[str], window: float
) -> dict[str, Any]:
    """Acks of ever newer messages vs reads of the channel, `window` seconds each."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        messages: dict[str, list[str]] = {}
        owner = {"Authorization": f"Bearer {tokens[0]}"}
        for cid in channels:
            ids = []
            for n in range(40):
                r = await http.post(
                    f"/api/v1/channels/{cid}/messages", json={"content": f"m{n}"}, headers=owner
                )
                r.raise_for_status()
                ids.append(r.json()["id"])
            messages[cid] = ids
        result: dict[str, Any] = {}
        for phase in ("read", "ack"):
            done = [0]
            errors = [0]
            stop = time.monotonic() + window

            async def client(
                i: int,
                phase: str = phase,
                stop: float = stop,
                done: list[int] = done,
                errors: list[int] = errors,
            ) -> None:
                token = tokens[1 + i % (len(tokens) - 1)]
                headers = {"Authorization": f"Bearer {token}"}
                cid = channels[i % len(channels)]
                n = 0
                while time.monotonic() < stop:
                    try:
                        if phase == "ack":
                            mid = messages[cid][n % len(messages[cid])]
                            r = await http.post(
                                f"/api/v1/channels/{cid}/messages/{mid}/ack", headers=headers
                            )
                        else:
                            r = await http.get(f"/api/v1/channels/{cid}", headers=headers)
                    except httpx.RemoteProtocolError:
                        # uvicorn closed an idle keep-alive connection as it was reused:
                        # not an answer of the app; the request is sent again.
                        continue
                    n += 1
                    if r.status_code >= 400:
                        errors[0] += 1
                    else:
                        done[0] += 1

            t0 = time.monotonic()
            await asyncio.gather(*(client(i) for i in range(16)))
            result[f"{phase}_per_s"] = done[0] / (time.monotonic() - t0)
            result[f"{phase}_errors"] = errors[0]
            result[f"{phase}_count"] = done[0]
        return result


def run(cfg: Config) -> None:
    servers, channels = cfg.size((100, 20), (5, 4))
    repeats = cfg.size(20, 2)
    print(f"== workload 12: READY in {servers} x {channels} channels with read states; acks")
    backends = [("sqlite", rawdb.sqlite_url(cfg.workdir / "w12.db"))]
    why = asyncio.run(rawdb.pg_available(cfg.pg_url))
    if why is None:
        backends.append(("postgresql", asyncio.run(rawdb.create_pg_database(cfg.pg_url))))
    else:
        skip(cfg, "12", "READY 100x20 on PostgreSQL", why)
    for name, url in backends:
        try:
            r = asyncio.run(_ready(url, (servers, channels), repeats))
        finally:
            if name == "postgresql":
                asyncio.run(rawdb.drop_pg_database(url))
        same = r["big_statements"] == r["small_statements"]
        print(
            f"  {name}: {r['channels']} channels, {r['big_states']} read states,"
            f" {r['big_mentions']} mentions: READY {r['big_ms']:.1f} ms,"
            f" {r['big_statements']:.0f} statements; 1x{channels}: {r['small_ms']:.1f} ms,"
            f" {r['small_statements']:.0f} statements",
            flush=True,
        )
        emit(
            cfg,
            Line(
                "12",
                f"READY statements, {servers}x{channels} channels vs 1x{channels} ({name})",
                f"{r['big_statements']:.0f} statements, {r['big_ms']:.1f} ms",
                f"{r['small_statements']:.0f} statements, {r['small_ms']:.1f} ms",
                f"{r['big_ms'] / r['small_ms']:.1f}x time",
                "same statements",
                verdict(same, []),
                f"{r['big_states']} read states with {r['big_mentions']} mentions in READY",
            ),
        )
    with concord(cfg, "w12-acks") as app:
        com = community(app, cfg.size(17, 3))
        auth = {"Authorization": f"Bearer {com.owner_token}"}
        chans = [com.channel_id]
        for n in range(cfg.size(3, 1)):
            r = httpx.post(
                f"{app.base}/api/v1/servers/{com.server_id}/channels",
                json={"name": f"c{n}"},
                headers=auth,
            )
            r.raise_for_status()
            chans.append(r.json()["id"])
        cpu0 = app.proc.cpu_s()
        t = asyncio.run(_throughput(app.base, com.tokens, chans, cfg.window_s))
        cpu = app.proc.cpu_s() - cpu0
    void = [f"errors: {t['ack_errors'] + t['read_errors']}"] if t["ack_errors"] else []
    per_op = cpu / max(1, t["ack_count"] + t["read_count"])
    emit(
        cfg,
        Line(
            "12",
            "acks/s (16 clients, SQLite) vs GET /channels/{id}/s",
            f"{t['ack_per_s']:.0f}/s",
            f"{t['read_per_s']:.0f}/s",
            f"{t['ack_per_s'] / t['read_per_s']:.2f}x",
            "report",
            verdict(True, void),
            f"server CPU {1000 * per_op:.2f} ms per request over both phases",
        ),
    )

"""Workload 11: one large server. 5,000 members, 500 / 1,000 / 2,000 of them online.

Setup: the app creates its SQLite database, an owner, the server and an invite over REST;
then 5,000 members (users, memberships and auth sessions, with tokens signed by the bench's
secret) are written straight into the database, and the app starts again on it.

For each online count K (one app process, the sizes one after the other):
- **connect storm:** K sockets IDENTIFY (32 at a time), each subscribing to the first page of
  the member list (op 14, 100 members) when it gets READY, as the client does when it shows
  the server. Measured: the server's CPU per connect and the frames all sockets received per
  connect (READY and the MEMBER_LIST answers not counted: PRESENCE_UPDATEs, mostly).
- **presence change:** 20 online members outside that first page change their status (op 3):
  frames delivered and server CPU per change.
- **join:** 10 users join over the invite: frames delivered and server CPU per join.

The ratio is the flatness of the curve: per-connect work at the largest K over the smallest,
in the same run (a design where every presence change goes to every online member grows
linearly: 4x from 500 to 2,000). With `BENCH_W11_SUBSCRIBE=0` the sockets do not send op 14
(for measuring a version of the app that does not know it).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.ids import SnowflakeGenerator
from adapters.security import JwtTokenService
from discord_core.model import AuthSession

from . import fan, rawdb
from .harness import SECRET, Config, Line, community, concord, emit, load, verdict, voids

TARGET = 1.5
"""Per-connect work at 2,000 online may be at most this many times that at 500."""
PAGE = 100
"""The member-list page each socket subscribes to (tiny: 10, so the changers are outside it)."""
WORKER_ID = 1001


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def _seed(path: str, server_id: int, members: int, outsiders: int) -> tuple[list[str], list[str]]:
    """Write `members` members and `outsiders` non-members; their tokens (members first, in
    ascending id order: the member list's order)."""
    ids = SnowflakeGenerator(WORKER_ID)
    tokens_service = JwtTokenService(SECRET)
    now = datetime.now(UTC)
    expires = now + timedelta(days=1)
    tag = secrets.token_hex(3)
    users, member_rows, sessions = [], [], []
    member_tokens: list[str] = []
    outsider_tokens: list[str] = []
    for i in range(members + outsiders):
        uid = ids.next_id()
        name = f"l{tag}x{i}"
        users.append((uid, name, f"{name}@example.com", "x", "online", _stamp(now), _stamp(now)))
        sid = secrets.token_urlsafe(18)
        sessions.append((sid, uid, _stamp(now), _stamp(expires)))
        token = tokens_service.issue(AuthSession(sid, uid, now, expires))
        if i < members:
            member_rows.append((server_id, uid, "member", _stamp(now)))
            member_tokens.append(token)
        else:
            outsider_tokens.append(token)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO users (id, username, email, password_hash, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        conn.executemany(
            "INSERT INTO members (server_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
            member_rows,
        )
        conn.executemany(
            "INSERT INTO auth_sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            sessions,
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return member_tokens, outsider_tokens


def run(cfg: Config) -> None:
    members = cfg.size(5_000, 60)
    sizes = cfg.size([500, 1_000, 2_000], [10, 20, 40])
    changes = cfg.size(20, 4)
    joins = cfg.size(10, 2)
    subscribe = os.environ.get("BENCH_W11_SUBSCRIBE", "1") != "0"
    print(
        f"== workload 11: one server of {members:,} members, {sizes} online"
        f" (op 14: {'yes' if subscribe else 'no'})",
        flush=True,
    )
    path = cfg.workdir / "w11.db"
    url = rawdb.sqlite_url(path)
    extra = {"database_url": url}
    if cfg.tiny:  # the tiny server must be "large" too, or the lazy path never runs
        extra["large_server_members"] = "20"
    with concord(cfg, "w11-setup", **extra) as app:
        com = community(app, 1)
        import httpx

        r = httpx.post(
            f"{app.base}/api/v1/servers/{com.server_id}/invites",
            json={"max_age": 0, "max_uses": 0},
            headers={"Authorization": f"Bearer {com.owner_token}"},
        )
        r.raise_for_status()
        code = r.json()["code"]
    t0 = time.perf_counter()
    tokens, outsiders = _seed(str(path), int(com.server_id), members, joins * len(sizes))
    print(f"  {members:,} members written in {time.perf_counter() - t0:.1f} s", flush=True)
    with concord(cfg, "w11-ours", **extra) as app:
        spec: dict[str, Any] = {
            "scenario": "large",
            "host": "127.0.0.1",
            "port": app.port,
            "ws_path": fan.GATEWAY,
            "server_id": com.server_id,
            "invite": code,
            "sizes": sizes,
            "tokens": tokens[: max(sizes)],
            "outsiders": outsiders,
            "subscribe": subscribe,
            "page": cfg.size(PAGE, 10),
            "changes": changes,
            "joins": joins,
            "connect_concurrency": 32,
            "settle_s": cfg.size(1.5, 0.3),
        }
        result = load(cfg, spec, app, within=1800)
    void = voids(result, cpu=False)
    rows = result["sizes"]
    for row in rows:
        print(
            f"  {row['online']:>5} online: connect {1000 * row['connect_cpu_s']:.2f} ms CPU,"
            f" {row['connect_frames']:.1f} frames, storm {row['storm_s']:.1f} s;"
            f" presence change {1000 * row['change_cpu_s']:.2f} ms CPU,"
            f" {row['change_frames']:.1f} frames; join {1000 * row['join_cpu_s']:.2f} ms CPU,"
            f" {row['join_frames']:.1f} frames; READY {row['ready_bytes']:.0f} B",
            flush=True,
        )
    small, big = rows[0], rows[-1]
    ratio = (
        big["connect_cpu_s"] / small["connect_cpu_s"] if small["connect_cpu_s"] else float("nan")
    )
    curve = "; ".join(
        f"{r['online']}: {1000 * r['connect_cpu_s']:.2f} ms / {r['connect_frames']:.0f} frames"
        for r in rows
    )
    emit(
        cfg,
        Line(
            "11",
            f"per-connect work, {members:,}-member server, {big['online']:,} vs"
            f" {small['online']:,} online",
            f"{1000 * big['connect_cpu_s']:.2f} ms CPU, {big['connect_frames']:.0f} frames",
            f"{1000 * small['connect_cpu_s']:.2f} ms CPU, {small['connect_frames']:.0f} frames",
            f"{ratio:.2f}x",
            f"<= {TARGET}x",
            verdict(ratio <= TARGET, void),
            f"per connect at each size: {curve}; presence change at {big['online']}:"
            f" {big['change_frames']:.0f} frames; join: {big['join_frames']:.0f} frames",
        ),
    )

"""Workload 6: capacity. 10,000 idle identified sockets on one instance; memory per socket.

The app's resident memory (VmRSS of its process) is read before and after N sockets connect,
IDENTIFY and acknowledge READY with one heartbeat (as any client does within a heartbeat
interval, so READY leaves the replay buffer); per socket = the growth / N. A warm-up of a few
hundred sockets first opens and closes, so one-off allocations are not charged to the sockets.
Baseline: the raw ASGI app holding N plain WebSockets on the same uvicorn.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from . import fan, rawdb
from .harness import (
    Config,
    Line,
    Server,
    community,
    concord,
    emit,
    load,
    raw_baseline,
    verdict,
    voids,
)

TARGET_KB = 40.0
TARGET_STORM_S = 20.0
"""Issue 20: 10,000 sessions identified in this long, on one core (scaled by the socket count
at --tiny)."""


def _hold(cfg: Config, server: Server, spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Open the sockets, read the server's RSS growth; return the result and KB per socket."""
    seen: dict[str, int] = {}
    settle = cfg.size(2.0, 0.3)

    def on_line(line: str, popen: subprocess.Popen[str]) -> None:
        if line.startswith("HOLDING"):
            time.sleep(settle)  # let the last frames and tasks settle
            seen["after"] = server.proc.rss_kb()
            assert popen.stdin is not None
            popen.stdin.write("\n")
            popen.stdin.flush()

    time.sleep(settle)
    before = server.proc.rss_kb()
    result = load(cfg, spec, server, on_line=on_line)
    grown = seen.get("after", before) - before
    print(f"  RSS {before / 1024:.1f} MiB -> {seen.get('after', 0) / 1024:.1f} MiB", flush=True)
    return result, grown / max(1, result["sockets"])


def run(cfg: Config) -> None:
    n = cfg.size(10_000, 200)
    warm = cfg.size(300, 20)
    users = cfg.size(100, 10)
    print(f"== workload 6: {n} idle identified sockets", flush=True)
    url = rawdb.sqlite_url(cfg.workdir / "w6.db")
    with concord(cfg, "w6-ours", database_url=url) as app:
        com = community(app, users)
        spec = {
            "scenario": "idle",
            "host": "127.0.0.1",
            "port": app.port,
            "ws_path": fan.GATEWAY,
            "tokens": com.tokens,
            "connect_concurrency": 32,
            "settle_s": cfg.size(1.0, 0.2),
        }
        print("  ours, warm-up:", flush=True)
        _hold(cfg, app, spec | {"sockets": warm})
        print("  ours:", flush=True)
        ours, ours_kb = _hold(cfg, app, spec | {"sockets": n})
    with raw_baseline(cfg, "w6-raw") as raw:
        spec = {
            "scenario": "idle",
            "host": "127.0.0.1",
            "port": raw.port,
            "ws_path": "/ws",
            "tokens": None,
            "connect_concurrency": 32,
            "settle_s": cfg.size(1.0, 0.2),
        }
        print("  raw ASGI, warm-up:", flush=True)
        _hold(cfg, raw, spec | {"sockets": warm})
        print("  raw ASGI:", flush=True)
        base, base_kb = _hold(cfg, raw, spec | {"sockets": n})
    void = voids(ours, cpu=False) + voids(base, cpu=False)
    for result in (ours, base):
        if result["sockets"] != n:
            void.append(f"errors: {result['sockets']} of {n} sockets opened")
    emit(
        cfg,
        Line(
            "6",
            f"memory per idle identified socket, {n:,} sockets",
            f"{ours_kb:.1f} KB",
            f"{base_kb:.1f} KB (raw ASGI WebSocket)",
            f"{ours_kb / base_kb:.2f}x" if base_kb > 0 else "n/a",
            f"<= {TARGET_KB:.0f} KB",
            verdict(ours_kb <= TARGET_KB, void),
        ),
    )
    # The storm's own verdict: seconds, against the raw sockets' time in the same run.
    storm_s, raw_s = ours["seconds"], base["seconds"]
    target_s = cfg.size(TARGET_STORM_S, TARGET_STORM_S * n / 10_000)
    emit(
        cfg,
        Line(
            "6",
            f"reconnect storm: {n:,} sockets of {users} users identify",
            f"{storm_s:.1f} s",
            f"{raw_s:.1f} s (raw sockets, no IDENTIFY)",
            f"{storm_s / raw_s:.2f}x" if raw_s > 0 else "n/a",
            f"<= {target_s:g} s",
            verdict(storm_s <= target_s, void),
            f"server CPU {ours.get('server_cpu_s', float('nan')):.1f} s",
        ),
    )

"""Workload 7: a slow reader. With one socket that stops reading, the others' p99 rises
<= 1.2x.

One run on the app (SQLite): 1,000 sockets at 5,000 deliveries/s (well within what it
sustains, so the slow reader is the only change), open-loop; first the steady
windows, then one more identified socket (4 KiB receive buffer) stops reading, and the same
windows again. Ours: p99 with the slow reader; baseline: p99 without it, same run.
"""

from __future__ import annotations

import asyncio

from . import fan, rawdb
from .harness import Config, Line, concord, emit, load, verdict, voids
from .stats import ms

TARGET = 1.2
RATE = 5_000


def run(cfg: Config) -> None:
    sockets, users = fan.sizes(cfg)
    rate = cfg.size(RATE, 500)
    print(f"== workload 7: slow reader among {sockets} sockets at {rate} deliveries/s", flush=True)
    url = rawdb.sqlite_url(cfg.workdir / "w7.db")
    with concord(cfg, "w7-ours", database_url=url) as app:
        spec = fan.app_spec(cfg, app, users, sockets) | {"slow_reader": True}
        result = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), app)
    rows = asyncio.run(rawdb.count_messages(url))
    void = voids(result, rows, result["ok_total"])
    s_rate, s50, s99 = fan.latency(result, "latency", "steady")
    w_rate, w50, w99 = fan.latency(result, "latency", "slow")
    ratio = w99 / s99 if s99 else float("nan")
    closed = result.get("slow_reader_close")
    note = "the slow socket was " + (
        f"closed with {closed}" if closed else "still open at the end (queue not yet full)"
    )
    emit(
        cfg,
        Line(
            "7",
            "others' p99 with one socket not reading",
            f"p50 {ms(w50)}, p99 {ms(w99)} at {w_rate:,.0f}/s",
            f"p50 {ms(s50)}, p99 {ms(s99)} at {s_rate:,.0f}/s (no slow reader)",
            f"{ratio:.2f}x",
            f"<= {TARGET}x",
            verdict(ratio <= TARGET, void),
            note,
        ),
    )

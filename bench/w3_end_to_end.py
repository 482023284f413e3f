"""Workload 3: end to end. A client POSTs a message; every socket in the server sees it.

At 10,000 deliveries/s (10 messages/s to 1,000 sockets), open-loop. The figure is the time from
the POST leaving the client until the last of the 1,000 sockets has the message ("complete");
the per-socket send-to-receive time is shown beside it. Ours: the app on SQLite. Baseline: the
raw ASGI app's POST /messages: the same insert and commit, then a broadcast loop.
"""

from __future__ import annotations

import asyncio

from . import fan, rawdb
from .harness import Config, Line, concord, emit, load, raw_baseline, verdict, voids
from .stats import ms

TARGET_P50_S = 0.015
TARGET_P99_S = 0.040
RATE = 10_000


def run(cfg: Config) -> None:
    sockets, users = fan.sizes(cfg)
    rate = cfg.size(RATE, 500)
    print(f"== workload 3: end to end, {sockets} sockets at {rate} deliveries/s", flush=True)
    url = rawdb.sqlite_url(cfg.workdir / "w3.db")
    with concord(cfg, "w3-ours", database_url=url) as app:
        spec = fan.app_spec(cfg, app, users, sockets)
        print("  ours:", flush=True)
        ours = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), app)
    rows = asyncio.run(rawdb.count_messages(url))
    raw_url = rawdb.sqlite_url(cfg.workdir / "w3-raw.db")
    ids = asyncio.run(rawdb.prepare(raw_url))
    with raw_baseline(cfg, "w3-raw", raw_url, ids) as raw:
        print("  raw ASGI (insert + broadcast):", flush=True)
        spec = fan.raw_spec(cfg, raw, sockets, "/messages") | fan.rate_mode(cfg, rate, sockets)
        base = load(cfg, spec, raw)
    raw_rows = asyncio.run(rawdb.count_messages(raw_url))

    void = voids(ours, rows, ours["ok_total"]) + voids(base, raw_rows, base["ok_total"])
    o_rate, o50, o99 = fan.latency(ours, "complete")
    b_rate, b50, b99 = fan.latency(base, "complete")
    _, d50, d99 = fan.latency(ours, "latency")
    kept_up = o_rate >= 0.95 * rate
    note = f"per socket: p50 {ms(d50)}, p99 {ms(d99)}"
    if not kept_up:
        note += f"; ours reached only {o_rate:,.0f} of {rate:,} deliveries/s"
    emit(
        cfg,
        Line(
            "3",
            f"POST to all {sockets} sockets at {rate:,} deliveries/s",
            fan.latency_text(o_rate, o50, o99),
            fan.latency_text(b_rate, b50, b99),
            f"p99 {o99 / b99:.2f}x" if b99 else "n/a",
            f"p50 <= {ms(TARGET_P50_S)}, p99 <= {ms(TARGET_P99_S)}",
            verdict(o50 <= TARGET_P50_S and o99 <= TARGET_P99_S and kept_up, void),
            note,
        ),
    )

"""Workload 2: fan-out to 1,000 sockets in one server.

Throughput: a sender keeps 8 messages in flight (a message leaves flight when every socket has
it) and we count deliveries/s. Latency: the sender posts open-loop at 20,000 deliveries/s
(20 messages/s to 1,000 sockets) and each socket records send-to-receive time (the send
timestamp travels in the message content). Ours: POST /channels/{id}/messages on the app
(SQLite, embedded), identified gateway sessions. Baseline: the raw ASGI app's POST /broadcast,
which sends the frame to every socket in a plain loop (no database).
"""

from __future__ import annotations

import asyncio

from . import fan, rawdb
from .harness import (
    Config,
    Line,
    concord,
    cpu_per_op,
    emit,
    load,
    raw_baseline,
    verdict,
    voids,
)
from .stats import ms

TARGET_RATIO = 0.75
TARGET_P99_S = 0.040
RATE = 20_000


def run(cfg: Config) -> None:
    sockets, users = fan.sizes(cfg)
    rate = cfg.size(RATE, 1_000)
    print(f"== workload 2: fan-out, {sockets} sockets", flush=True)
    url = rawdb.sqlite_url(cfg.workdir / "w2.db")
    with concord(cfg, "w2-ours", database_url=url) as app:
        spec = fan.app_spec(cfg, app, users, sockets)
        print("  ours, throughput:", flush=True)
        ours_max = load(cfg, spec | fan.max_mode(cfg), app)
        print(f"  ours, latency at {rate} deliveries/s:", flush=True)
        ours_rate = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), app)
    rows = asyncio.run(rawdb.count_messages(url))
    with raw_baseline(cfg, "w2-raw") as raw:
        spec = fan.raw_spec(cfg, raw, sockets, "/broadcast")
        print("  raw ASGI broadcast, throughput:", flush=True)
        base_max = load(cfg, spec | fan.max_mode(cfg), raw)
        print(f"  raw ASGI broadcast, latency at {rate} deliveries/s:", flush=True)
        base_rate = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), raw)

    posted = ours_max["ok_total"] + ours_rate["ok_total"]
    void = voids(ours_max, rows, posted) + voids(ours_rate) + voids(base_max) + voids(base_rate)
    ours_tp, ours_text = fan.throughput(ours_max)
    base_tp, base_text = fan.throughput(base_max)
    ratio = ours_tp / base_tp if base_tp else float("nan")
    ours_cpu = cpu_per_op(ours_max, "deliveries")
    base_cpu = cpu_per_op(base_max, "deliveries")
    emit(
        cfg,
        Line(
            "2",
            f"fan-out throughput, {sockets} sockets",
            ours_text,
            base_text,
            f"{ratio:.2f}x",
            f">= {TARGET_RATIO}x",
            verdict(ratio >= TARGET_RATIO, void),
            f"server CPU per delivery: ours {ours_cpu * 1e6:.1f} us, baseline "
            f"{base_cpu * 1e6:.1f} us ({base_cpu / ours_cpu:.2f}x)",
        ),
    )
    o_rate, o50, o99 = fan.latency(ours_rate)
    b_rate, b50, b99 = fan.latency(base_rate)
    kept_up = o_rate >= 0.95 * rate
    note = "" if kept_up else f"ours reached only {o_rate:,.0f} of {rate:,} deliveries/s"
    emit(
        cfg,
        Line(
            "2",
            f"fan-out latency at {rate:,} deliveries/s",
            fan.latency_text(o_rate, o50, o99),
            fan.latency_text(b_rate, b50, b99),
            f"p99 {o99 / b99:.2f}x" if b99 else "n/a",
            f"p99 <= {ms(TARGET_P99_S)}",
            verdict(o99 <= TARGET_P99_S and kept_up, void),
            note,
        ),
    )

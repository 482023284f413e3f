"""Workload 4: two instances through Redis against one instance.

Both on PostgreSQL. Baseline: one instance, embedded (in-process events), every socket on it.
Ours: two instances (`concord serve` twice, same database, same Redis prefix), half the
sockets on each, the sender POSTing to the first: every message crosses Redis to reach the
second instance's sockets. Throughput (8 messages in flight) must stay >= 0.8x of one
instance's; the added p50 / p99 is measured at 10,000 deliveries/s. Both instances are pinned
to the app core, so the pair gets no more CPU than the single instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from . import fan, rawdb
from .harness import Config, Line, concord, cpu_per_op, emit, load, skip, verdict, voids
from .stats import ms

TARGET = 0.8
RATE = 10_000


def _redis_missing(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def run(cfg: Config) -> None:
    why = asyncio.run(rawdb.pg_available(cfg.pg_url))
    if why:
        skip(cfg, "4", "two instances", f"PostgreSQL not reachable ({why})")
        return
    why = _redis_missing(cfg.redis_url)
    if why:
        skip(cfg, "4", "two instances", f"Redis not reachable ({why})")
        return
    sockets, users = fan.sizes(cfg)
    rate = cfg.size(RATE, 500)
    print(f"== workload 4: two instances through Redis, {sockets} sockets", flush=True)
    url = asyncio.run(rawdb.create_pg_database(cfg.pg_url))
    try:
        with concord(cfg, "w4-one", database_url=url) as app:
            spec = fan.app_spec(cfg, app, users, sockets)
            print("  one instance, throughput:", flush=True)
            one_max = load(cfg, spec | fan.max_mode(cfg), app)
            print(f"  one instance, latency at {rate} deliveries/s:", flush=True)
            one_rate = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), app)
        one_rows = asyncio.run(rawdb.count_messages(url))
    finally:
        asyncio.run(rawdb.drop_pg_database(url))
    url = asyncio.run(rawdb.create_pg_database(cfg.pg_url))
    try:
        common = {
            "database_url": url,
            "redis_url": cfg.redis_url,
            "redis_prefix": f"bench{secrets.token_hex(4)}:",
        }
        with contextlib.ExitStack() as stack:
            try:
                a = stack.enter_context(concord(cfg, "w4-a", **common))
                b = stack.enter_context(concord(cfg, "w4-b", **common))
            except RuntimeError as exc:
                why = str(exc)[-300:]
                skip(cfg, "4", "two instances", f"Redis mode not available ({why})")
                return
            spec = fan.app_spec(cfg, a, users, sockets) | {"ws_ports": [a.port, b.port]}
            print("  two instances, throughput:", flush=True)
            two_max = load(cfg, spec | fan.max_mode(cfg), a, b)
            print(f"  two instances, latency at {rate} deliveries/s:", flush=True)
            two_rate = load(cfg, spec | fan.rate_mode(cfg, rate, sockets), a, b)
        two_rows = asyncio.run(rawdb.count_messages(url))
    finally:
        asyncio.run(rawdb.drop_pg_database(url))

    void = (
        voids(one_max, None)
        + voids(one_rate, one_rows, one_max["ok_total"] + one_rate["ok_total"])
        + voids(two_max)
        + voids(two_rate, two_rows, two_max["ok_total"] + two_rate["ok_total"])
    )
    two_tp, two_text = fan.throughput(two_max)
    one_tp, one_text = fan.throughput(one_max)
    ratio = two_tp / one_tp if one_tp else float("nan")
    two_cpu = cpu_per_op(two_max, "deliveries")
    one_cpu = cpu_per_op(one_max, "deliveries")
    emit(
        cfg,
        Line(
            "4",
            "two instances via Redis, throughput",
            two_text,
            one_text + " (one instance)",
            f"{ratio:.2f}x",
            f">= {TARGET}x",
            verdict(ratio >= TARGET, void),
            f"server CPU per delivery: two {two_cpu * 1e6:.1f} us (both instances), one "
            f"{one_cpu * 1e6:.1f} us ({one_cpu / two_cpu:.2f}x)",
        ),
    )
    t_rate, t50, t99 = fan.latency(two_rate)
    o_rate, o50, o99 = fan.latency(one_rate)
    emit(
        cfg,
        Line(
            "4",
            f"two instances via Redis, latency at {rate:,} deliveries/s",
            fan.latency_text(t_rate, t50, t99),
            fan.latency_text(o_rate, o50, o99) + " (one instance)",
            f"added p50 {ms(t50 - o50)}, p99 {ms(t99 - o99)}",
            "report",
            verdict(True, void).replace("PASS", "REPORTED"),
        ),
    )

"""Workload 1: message send (REST POST until committed), SQLite and PostgreSQL.

Ours: POST /api/v1/channels/{id}/messages with a bearer token (auth, membership check, insert,
commit, publish). Baseline: the raw ASGI app doing the same insert through the same engine
(bench/rawdb.py). Also the database alone: the inserts in a loop, no HTTP, pinned to the app's
core. Every run counts the rows afterwards: they must equal the 2xx answers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import rawdb
from .harness import (
    Config,
    Line,
    community,
    concord,
    cpu_per_op,
    emit,
    load,
    med,
    raw_baseline,
    run_child,
    skip,
    verdict,
    voids,
)
from .stats import fmt, ms

TARGET = 0.6
"""Issue 20: the send at least 0.6x the raw app doing the same insert, on both databases."""


def _spec(cfg: Config, port: int, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "scenario": "http_post",
        "host": "127.0.0.1",
        "port": port,
        "path": path,
        "headers": headers,
        "concurrency": cfg.size(32, 4),
        "warmup_s": cfg.warmup_s,
        "window_s": cfg.window_s,
        "windows": cfg.windows,
    }


def _figure(result: dict[str, Any]) -> tuple[float, str]:
    w = result["windows"]
    rps = med(w, "rps")
    return rps, f"{fmt(rps)} req/s (p50 {ms(med(w, 'p50'))}, p99 {ms(med(w, 'p99'))})"


def run(cfg: Config) -> None:
    why = asyncio.run(rawdb.pg_available(cfg.pg_url))
    for db in ("sqlite", "postgresql"):
        if db == "postgresql" and why:
            skip(cfg, "1", "postgresql send", f"PostgreSQL not reachable ({why})")
            continue
        print(f"== workload 1: message send, {db}", flush=True)
        _one(cfg, db)


def _url(cfg: Config, db: str, name: str) -> str:
    if db == "sqlite":
        return rawdb.sqlite_url(cfg.workdir / f"{name}.db")
    return asyncio.run(rawdb.create_pg_database(cfg.pg_url))


def _drop(db: str, url: str) -> None:
    if db == "postgresql":
        asyncio.run(rawdb.drop_pg_database(url))


def _one(cfg: Config, db: str) -> None:
    # Ours.
    url = _url(cfg, db, "w1-ours")
    try:
        with concord(cfg, f"w1-{db}-ours", database_url=url) as app:
            com = community(app, 1)
            print("  ours:", flush=True)
            ours = load(
                cfg,
                _spec(
                    cfg,
                    app.port,
                    f"/api/v1/channels/{com.channel_id}/messages",
                    {"Authorization": f"Bearer {com.owner_token}"},
                ),
                app,
            )
        ours_rows = asyncio.run(rawdb.count_messages(url))
    finally:
        _drop(db, url)
    # Raw baseline.
    url = _url(cfg, db, "w1-raw")
    try:
        ids = asyncio.run(rawdb.prepare(url))
        with raw_baseline(cfg, f"w1-{db}-raw", url, ids) as raw:
            print("  raw ASGI baseline:", flush=True)
            base = load(cfg, _spec(cfg, raw.port, "/messages", {}), raw)
        base_rows = asyncio.run(rawdb.count_messages(url))
    finally:
        _drop(db, url)
    # The database alone.
    url = _url(cfg, db, "w1-db")
    try:
        ids = asyncio.run(rawdb.prepare(url))
        print("  database alone (inserts in a loop, same engine, same concurrency):", flush=True)
        spec = _spec(cfg, 0, "", {}) | {"url": url, "ids": ids, "pool_size": 10}
        alone = run_child(cfg, "bench.dbloop", spec, cfg.app_core)
        alone_rows = asyncio.run(rawdb.count_messages(url))
    finally:
        _drop(db, url)

    ours_rps, ours_text = _figure(ours)
    base_rps, base_text = _figure(base)
    alone_rps, alone_text = _figure(alone)
    void = (
        voids(ours, ours_rows, ours["ok_total"])
        + voids(base, base_rows, base["ok_total"])
        + voids(alone, alone_rows, alone["ok_total"], cpu=False)
    )
    ratio = ours_rps / base_rps if base_rps else float("nan")
    ours_cpu, base_cpu = cpu_per_op(ours, "ok"), cpu_per_op(base, "ok")
    emit(
        cfg,
        Line(
            "1",
            f"{db} send",
            ours_text,
            base_text,
            f"{ratio:.2f}x",
            f">= {TARGET}x",
            verdict(ratio >= TARGET, void),
            f"database alone {alone_text}; ours is {ours_rps / alone_rps:.2f}x of it; "
            f"server CPU per request: ours {ours_cpu * 1e6:,.0f} us, baseline "
            f"{base_cpu * 1e6:,.0f} us ({base_cpu / ours_cpu:.2f}x)",
        ),
    )

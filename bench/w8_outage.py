"""Workload 8: a sequential sender while Redis is down keeps >= 0.5x of its rate with Redis up.

One `concord serve` (SQLite) over a private redis-server that this workload starts and stops
(never the shared one), rate limits on with budgets too large to refuse anything, so every
send makes its two limiter checks and one event publish. One client POSTs messages back to
back. Baseline: its rate with Redis up; ours: the rate after Redis was stopped (the first
request that finds it down is left out: it pays the detection). Before the limiter's circuit
breaker and the bus's fail-fast publish this was 0.5 msg/s (each send waited for the Redis
client's retries), against ~200 with Redis up.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx

from .harness import Config, Line, concord, emit, free_port, skip, verdict
from .stats import ms

TARGET = 0.5


class _Redis:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


async def _phases(base: str, seconds: float, redis: _Redis) -> list[tuple[float, float, int]]:
    """Back-to-back sends for `seconds` with Redis up, then with Redis stopped: for each,
    (messages/s, median seconds, failed sends)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        name = f"w8{time.monotonic_ns() % 10**9}"
        r = await http.post(
            "/api/v1/auth/register",
            json={"username": name, "email": f"{name}@example.com", "password": "bench-pw-8"},
        )
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        server = (await http.post("/api/v1/servers", json={"name": "w8"}, headers=headers)).json()
        path = f"/api/v1/channels/{server['channels'][0]['id']}/messages"
        up = await _sends(http, path, headers, seconds)
        redis.stop()
        await http.post(path, json={"content": "finds Redis down"}, headers=headers)
        down = await _sends(http, path, headers, seconds)
        return [up, down]


async def _sends(
    http: httpx.AsyncClient, path: str, headers: dict[str, str], seconds: float
) -> tuple[float, float, int]:
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        r = await http.post(path, json={"content": "hi"}, headers=headers)
        latencies.append(time.perf_counter() - started)
        errors += r.status_code >= 400
    return len(latencies) / seconds, statistics.median(latencies), errors


def run(cfg: Config) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        skip(cfg, "8", "sender during a Redis outage", "redis-server is not installed")
        return
    window = cfg.size(8.0, 1.0)
    print(f"== workload 8: a sequential sender, Redis up then down ({window:g} s each)")
    redis = _Redis(binary, cfg.workdir)
    redis.start()
    try:
        with concord(
            cfg,
            "w8",
            redis_url=f"redis://127.0.0.1:{redis.port}/0",
            rate_limits="true",
            rate_per_user="1000000/1",
            rate_message_per_channel="1000000/1",
        ) as app:
            up, down = asyncio.run(_phases(app.base, window, redis))
            (up_rate, up_p50, up_errors), (down_rate, down_p50, down_errors) = up, down
    finally:
        redis.stop()
    void = [f"errors: {n} failed sends" for n in (up_errors + down_errors,) if n]
    ratio = down_rate / up_rate if up_rate else float("nan")
    emit(
        cfg,
        Line(
            "8",
            "sequential sender while Redis is down",
            f"{down_rate:.1f} msg/s, p50 {ms(down_p50)}",
            f"{up_rate:.1f} msg/s, p50 {ms(up_p50)} (Redis up)",
            f"{ratio:.2f}x",
            f">= {TARGET}x",
            verdict(ratio >= TARGET, void),
        ),
    )

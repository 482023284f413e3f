"""The machine, the versions and the results table."""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
import subprocess
import time
from importlib import metadata
from pathlib import Path

from .harness import ROOT, Config, Line

PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "websockets",
    "litestar",
    "msgspec",
    "SQLAlchemy",
    "advanced-alchemy",
    "aiosqlite",
    "asyncpg",
    "redis",
)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _git() -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        head = subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, stderr=subprocess.DEVNULL
        ).strip()
        dirty = subprocess.check_output(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, text=True
        ).strip()
        return head + (" + uncommitted changes in src/" if dirty else "")
    return "unknown"


def busy_share(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs were over `seconds` (0-1), from /proc/stat."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return float("nan")
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else float("nan")


def other_load(seconds: float) -> str:
    """A line about what else runs on the machine: the numbers are only as quiet as it is."""
    share = busy_share(seconds)
    text = f"other load before the workload: {share:.0%} of all CPUs busy over {seconds} s"
    if share > 0.10:
        text += " (WARNING: the machine is not idle; figures will be noisy)"
    return text


def environment(cfg: Config) -> str:
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} -")
    pin = (
        f"app on core {cfg.app_core}, load on core {cfg.load_core}"
        if cfg.app_core is not None
        else "not pinned (fewer than 2 cores)"
    )
    lines = [
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_ram_gib()} RAM, "
        f"Linux {platform.release()}",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        + ", ".join(versions),
        f"code: {_git()}; {pin}; mode: {'tiny' if cfg.tiny else 'full'}; "
        f"warm-up {cfg.warmup_s} s, {cfg.windows} x {cfg.window_s} s windows, medians reported",
    ]
    return "\n".join(lines)


def markdown_table(lines: list[Line]) -> str:
    rows = [
        "| # | what | ours | baseline | ratio | target | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for line in lines:
        verdict = line.verdict + (f"; {line.note}" if line.note else "")
        rows.append(
            f"| {line.workload} | {line.label} | {line.ours} | {line.baseline} | {line.ratio} "
            f"| {line.target} | {verdict} |"
        )
    return "\n".join(rows)

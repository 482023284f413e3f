"""The benchmark harness keeps working: `python -m bench --tiny` runs every workload at a tiny
size and prints a result line for each. No timing is asserted (numbers are for bench/RESULTS.md,
measured on a quiet machine, never in CI)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.redis
def test_bench_tiny_prints_a_result_for_every_workload(postgres_url: str, redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--tiny",
            "--pg-url",
            postgres_url,
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out[-6000:] + done.stderr[-4000:]
    for workload in range(1, 11):
        assert re.search(rf"^RESULT w{workload} ", out, re.MULTILINE), (
            f"no result line for workload {workload}:\n{out[-6000:]}"
        )
    assert "ERROR" not in "\n".join(line for line in out.splitlines() if line.startswith("RESULT"))

"""`python -m bench [--tiny] [--only 1,2] [--markdown FILE]`: run the workloads, print results."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import (
    w1_send,
    w2_fanout,
    w3_end_to_end,
    w4_redis,
    w5_history,
    w6_capacity,
    w7_slow,
    w8_outage,
    w9_search,
    w10_uploads,
    w11_large,
    w12_reads,
)
from .harness import Config, Line, pick_cores
from .report import environment, markdown_table, other_load

WORKLOADS = {
    1: w1_send.run,
    2: w2_fanout.run,
    3: w3_end_to_end.run,
    4: w4_redis.run,
    5: w5_history.run,
    6: w6_capacity.run,
    7: w7_slow.run,
    8: w8_outage.run,
    9: w9_search.run,
    10: w10_uploads.run,
    11: w11_large.run,
    12: w12_reads.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="every workload at a tiny size (CI)")
    parser.add_argument("--only", help="comma-separated workload numbers, e.g. 2,3")
    parser.add_argument("--markdown", help="also write the results table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "CHAT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("CHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args(argv)
    chosen = sorted(WORKLOADS) if not args.only else [int(x) for x in args.only.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    app_core, load_core = pick_cores()
    cfg = Config(
        tiny=args.tiny,
        workdir=workdir,
        pg_url=args.pg_url,
        redis_url=args.redis_url,
        app_core=app_core,
        load_core=load_core,
        warmup_s=0.3 if args.tiny else 2.0,
        window_s=0.7 if args.tiny else 5.0,
        windows=1 if args.tiny else 3,
    )
    print(environment(cfg), flush=True)
    started = time.monotonic()
    failed = False
    for number in chosen:
        print(other_load(0.5 if args.tiny else 2.0), flush=True)
        t0 = time.monotonic()
        try:
            WORKLOADS[number](cfg)
        except Exception as exc:
            failed = True
            traceback.print_exc()
            line = Line(str(number), "-", "-", "-", "-", "-", f"ERROR: {exc!s:.200}")
            cfg.lines.append(line)
            print(f"RESULT w{number} | ERROR: {exc!s:.300}", flush=True)
        print(f"   (workload {number} took {time.monotonic() - t0:.0f} s)", flush=True)
    table = markdown_table(cfg.lines)
    print("\n" + table, flush=True)
    print(f"total {time.monotonic() - started:.0f} s; python {platform.python_version()}")
    if args.markdown:
        Path(args.markdown).write_text(environment(cfg) + "\n\n" + table + "\n")
    if args.keep:
        print(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

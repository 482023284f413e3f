"""The database alone: `python -m bench.dbloop SPEC.json` inserts messages in a loop.

The same insert, engine and durability as the raw baseline, with as many concurrent tasks as
the HTTP load has connections, but no HTTP. Runs pinned to the app's core; prints
`RESULT_JSON {...}` like the load generator.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from array import array
from typing import Any

from .loadgen import _content, measure_windows, say
from .rawdb import MessageWriter, write_engine


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    engine = write_engine(spec["url"], spec.get("pool_size", 10))
    writer = MessageWriter(engine, spec["ids"])
    state = {"phase": -1, "running": True, "n": 0}
    lat = [array("q") for _ in range(spec["windows"])]
    ok_total = 0
    size = spec.get("content_size", 80)

    async def worker() -> None:
        nonlocal ok_total
        while state["running"]:
            state["n"] += 1
            t0 = time.perf_counter_ns()
            await writer.insert(_content(state["n"], size))
            t1 = time.perf_counter_ns()
            ok_total += 1
            if state["phase"] >= 0:
                lat[state["phase"]].append(t1 - t0)

    tasks = [asyncio.create_task(worker()) for _ in range(spec["concurrency"])]
    windows = await measure_windows(spec, state, lat, "inserts/s")
    state["running"] = False
    await asyncio.gather(*tasks)
    await engine.dispose()
    return {"windows": windows, "ok_total": ok_total, "errors": {}}


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    try:
        import uvloop

        result = uvloop.run(run(spec))
    except ImportError:
        result = asyncio.run(run(spec))
    say("RESULT_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()

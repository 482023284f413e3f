"""The LIKE baseline of workload 9: `python -m bench.likeloop SPEC.json`.

What the search endpoint would do without an index, through the app's own engine (same
driver, same settings), one query after another, pinned to the app's core: the same page (the
25 newest messages of the server whose content is LIKE '%word%') and its total, counted
exactly by the scan. Also the page alone (no total), printed for reference: for a common word
it stops after a few hundred rows. Prints `RESULT_JSON {...}` like the load generator.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from array import array
from typing import Any

from sqlalchemy import text

from .loadgen import _pcts, say
from .rawdb import write_engine

COUNT = text("SELECT count(*) FROM messages WHERE server_id = :sid AND content LIKE :pattern")
PAGE = text(
    "SELECT id, content FROM messages WHERE server_id = :sid AND content LIKE :pattern "
    "ORDER BY id DESC LIMIT :limit"
)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    engine = write_engine(spec["url"], 1)
    words: dict[str, str] = spec["words"]
    full: dict[str, array[int]] = {label: array("q") for label in words}
    page_only: dict[str, array[int]] = {label: array("q") for label in words}
    totals: dict[str, int] = {}
    async with engine.connect() as conn:

        async def once(label: str, measured: bool) -> None:
            params = {"sid": spec["server_id"], "pattern": f"%{words[label]}%", "limit": 25}
            t0 = time.perf_counter_ns()
            rows = (await conn.execute(PAGE, params)).all()
            t1 = time.perf_counter_ns()
            total = (await conn.execute(COUNT, params)).scalar_one()
            t2 = time.perf_counter_ns()
            totals[label] = int(total)
            if measured:
                page_only[label].append(t1 - t0)
                full[label].append(t2 - t0)
            assert len(rows) == min(25, total)

        for _ in range(spec["warmup"]):
            for label in words:
                await once(label, False)
        for _ in range(spec["requests"]):
            for label in words:
                await once(label, True)
    await engine.dispose()
    return {
        "labels": {
            label: {
                "full": _pcts(full[label]),
                "page": _pcts(page_only[label]),
                "total": totals[label],
            }
            for label in words
        },
        "errors": {},
    }


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    say("RESULT_JSON " + json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()

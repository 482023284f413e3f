"""The load generator: a separate process, `python -m bench.loadgen SPEC.json`.

The orchestrator pins it to the load core. It prints progress lines, and last a line
`RESULT_JSON {...}` with its measurements. Every window reports the generator's own CPU use
(process time / wall time), so a run whose generator saturated its core can be declared void.

Scenarios:
- http_post: `concurrency` keep-alive connections POST in a closed loop.
- fanout: N sockets receive what a sender POSTs; "max" keeps `inflight` messages on their way
  (a message leaves flight when every socket has it), "rate" posts open-loop at `rate`/s.
  With `slow_reader`, a second phase adds one socket that stops reading.
- idle: N identified sockets, held until the orchestrator says so on stdin.
- history: GETs of several URLs, interleaved, one connection, one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import sys
import time
from array import array
from typing import Any

from .clients import HttpConnection, WsClient, http_request

MARK = b"~T"


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def say(text: str) -> None:
    print(text, flush=True)


def _pcts(values: Any, scale: float = 1e-9) -> dict[str, float | None]:
    """p50/p99/max of nanosecond samples, in seconds."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    ordered = sorted(values)
    n = len(ordered)

    def at(q: float) -> float:
        rank = max(1, math.ceil(q / 100 * n))
        return ordered[min(rank, n) - 1] * scale

    return {"p50": at(50), "p99": at(99), "max": ordered[-1] * scale, "n": n}


SERVER_PIDS: list[int] = []
"""The server processes under load: their CPU time is read per window."""
TICK = os.sysconf("SC_CLK_TCK")


def server_cpu_s() -> float:
    """CPU seconds used so far by the server processes (all their threads)."""
    total = 0
    for pid in SERVER_PIDS:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICK


class Meter:
    """Wall and CPU time of one window: ours (the generator's) and the server's."""

    def __init__(self) -> None:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.server0 = server_cpu_s()

    def done(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall0
        cpu = time.process_time() - self.cpu0
        server = server_cpu_s() - self.server0
        return {
            "wall_s": wall,
            "cpu_s": cpu,
            "cpu_frac": cpu / wall if wall > 0 else 0.0,
            "server_cpu_s": server,
        }


def _content(n: int, size: int) -> str:
    head = f"bench ~T{time.monotonic_ns()}:{n}~ "
    return head + "x" * max(0, size - len(head))


# --- http_post -------------------------------------------------------------------------------


async def measure_windows(
    spec: dict[str, Any],
    state: dict[str, Any],
    lat: list[array[int]],
    unit: str,
    *,
    show_cpu: bool = False,
) -> list[dict[str, Any]]:
    """Warm up, then time each window while the workers record their latencies into
    `lat[state["phase"]]`; one result per window (rate, CPU, percentiles)."""
    await asyncio.sleep(spec["warmup_s"])
    windows = []
    for w in range(spec["windows"]):
        meter = Meter()
        state["phase"] = w
        await asyncio.sleep(spec["window_s"])
        state["phase"] = -1
        m = meter.done()
        count = len(lat[w])
        windows.append({**m, "ok": count, "rps": count / m["wall_s"], **_pcts(lat[w])})
        cpu = f", cpu {m['cpu_frac']:.0%}" if show_cpu else ""
        say(f"  window {w + 1}: {count / m['wall_s']:.0f} {unit}{cpu}")
    return windows


async def http_post(spec: dict[str, Any]) -> dict[str, Any]:
    host, port, path = spec["host"], spec["port"], spec["path"]
    headers = {"Content-Type": "application/json", **spec.get("headers", {})}
    size = spec.get("content_size", 80)
    nonce = spec.get("nonce", False)
    conns = [await HttpConnection.open(host, port) for _ in range(spec["concurrency"])]
    state = {"phase": -1, "running": True, "n": 0}
    lat: list[array[int]] = [array("q") for _ in range(spec["windows"])]
    ok_total = 0
    errors: dict[str, int] = {}

    async def worker(conn: HttpConnection) -> None:
        nonlocal ok_total
        while state["running"]:
            state["n"] += 1
            n = state["n"]
            body: dict[str, Any] = {"content": _content(n, size)}
            if nonce:
                body["nonce"] = f"b{n}"
            raw = http_request("POST", path, host, headers, json.dumps(body).encode())
            t0 = time.perf_counter_ns()
            try:
                status, answer = await conn.request(raw)
            except (ConnectionError, OSError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            t1 = time.perf_counter_ns()
            if status in (200, 201):
                ok_total += 1
                phase = state["phase"]
                if phase >= 0:
                    lat[phase].append(t1 - t0)
            else:
                key = f"HTTP {status}: {answer[:120].decode(errors='replace')}"
                errors[key] = errors.get(key, 0) + 1

    tasks = [asyncio.create_task(worker(c)) for c in conns]
    windows = await measure_windows(spec, state, lat, "req/s", show_cpu=True)
    state["running"] = False
    await asyncio.gather(*tasks)
    for c in conns:
        c.close()
    return {"windows": windows, "ok_total": ok_total, "errors": errors}


# --- gateway sockets -----------------------------------------------------------------------


class Fleet:
    """Sockets on one or more servers, identified (app) or plain (raw baseline)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.host = spec["host"]
        self.ws: list[WsClient] = []
        self.errors: dict[str, int] = {}
        self.on_mark: Any = None

    def error(self, key: str, n: int = 1) -> None:
        self.errors[key] = self.errors.get(key, 0) + n

    def _handler(self, client: WsClient, payload: bytes) -> None:
        if MARK in payload:
            if self.on_mark is not None:
                self.on_mark(client, payload)
            return
        if client.token is None:
            return
        if payload.startswith(b'{"op":0,"s":'):
            client.seq = int(payload[12 : payload.index(b",", 12)])
        if not client.ready.done():
            if b'"t":"READY"' in payload:
                client.ready.set_result(None)
            elif b'"op":10' in payload:
                client.send_text(json.dumps({"op": 2, "d": {"token": client.token}}))

    async def open_one(
        self, port: int, path: str, token: str | None, rcvbuf: int | None = None
    ) -> WsClient:
        client = await WsClient.connect(
            self.host, port, path, self._handler, rcvbuf=rcvbuf, token=token
        )
        if token is not None:
            await asyncio.wait_for(self._identified(client), 60)
        return client

    async def _identified(self, client: WsClient) -> None:
        done, _ = await asyncio.wait(
            [client.ready, client.closed], return_when=asyncio.FIRST_COMPLETED
        )
        if client.ready not in done:
            raise ConnectionError(f"closed before READY ({client.closed.result()})")

    async def open_all(self, targets: list[tuple[int, str, str | None]]) -> None:
        """targets: (port, path, token or None) per socket."""
        sem = asyncio.Semaphore(self.spec.get("connect_concurrency", 64))
        slots: list[WsClient | None] = [None] * len(targets)

        async def one(i: int, target: tuple[int, str, str | None]) -> None:
            async with sem:
                for attempt in range(3):
                    try:
                        slots[i] = await self.open_one(*target)
                        return
                    except (OSError, TimeoutError) as exc:
                        if attempt == 2:
                            self.error(f"connect: {type(exc).__name__}: {exc}")
                        await asyncio.sleep(0.2)

        await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
        self.ws = [c for c in slots if c is not None]

    def closed_count(self) -> int:
        return sum(1 for c in self.ws if c.closed.done())

    def close_all(self) -> None:
        for c in self.ws:
            c.close()


def _targets(spec: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    ports = spec.get("ws_ports") or [spec["port"]]
    tokens = spec.get("tokens") or [None]
    return [
        (ports[i % len(ports)], spec["ws_path"], tokens[i % len(tokens)])
        for i in range(spec["sockets"])
    ]


# --- fanout ------------------------------------------------------------------------------------


async def fanout(spec: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    fleet = Fleet(spec)
    t0 = time.perf_counter()
    await fleet.open_all(_targets(spec))
    n_sockets = len(fleet.ws)
    say(f"  {n_sockets} sockets ready in {time.perf_counter() - t0:.1f} s")
    if fleet.errors:
        return {"errors": fleet.errors, "windows": [], "ok_total": 0}

    host, port, path = spec["host"], spec["port"], spec["post_path"]
    headers = {"Content-Type": "application/json", **spec.get("headers", {})}
    size = spec.get("content_size", 80)
    mode = spec["mode"]
    inflight = spec.get("inflight", 4)
    n_conns = inflight if mode == "max" else spec.get("post_conns", 16)
    conns = [await HttpConnection.open(host, port) for _ in range(n_conns)]
    idle_conns: list[HttpConnection] = list(conns)

    remaining: dict[int, int] = {}
    state: dict[str, Any] = {"phase": -1, "running": True, "n": 0, "ok": 0}
    slots = asyncio.Semaphore(inflight)
    lat: dict[int, array[int]] = {}
    comp: dict[int, array[int]] = {}
    deliveries: dict[int, int] = {}
    recipients = {"n": n_sockets}

    track_latency = mode != "max"  # at full speed only throughput is reported

    def on_mark(client: WsClient, payload: bytes) -> None:
        i = payload.find(MARK)
        if i < 0:
            return  # another dispatch (presence, ...)
        j = payload.find(b"~", i + 2)
        k = payload.find(b":", i + 2, j)
        n = int(payload[k + 1 : j])
        phase = state["phase"]
        latency = 0
        if track_latency:
            latency = time.monotonic_ns() - int(payload[i + 2 : k])
            if phase >= 0:
                lat[phase].append(latency)
        if phase >= 0:
            deliveries[phase] += 1
        client.got += 1
        left = remaining.get(n)
        if left is None:
            return
        if left <= 1:
            del remaining[n]
            if phase >= 0 and track_latency:
                comp[phase].append(latency)
            if mode == "max":
                slots.release()
        else:
            remaining[n] = left - 1

    fleet.on_mark = on_mark
    for ws in fleet.ws:  # identified: from now on frames go straight to on_mark
        ws.on_text = on_mark

    async def post(conn: HttpConnection) -> None:
        state["n"] += 1
        n = state["n"]
        remaining[n] = recipients["n"]
        body = json.dumps({"content": _content(n, size)}).encode()
        try:
            status, answer = await conn.request(http_request("POST", path, host, headers, body))
        except (ConnectionError, OSError) as exc:
            fleet.error(f"post: {type(exc).__name__}")
            remaining.pop(n, None)
            return
        if status in (200, 201):
            state["ok"] += 1
        else:
            fleet.error(f"HTTP {status}: {answer[:120].decode(errors='replace')}")
            if remaining.pop(n, None) is not None and mode == "max":
                slots.release()

    async def max_sender(conn: HttpConnection) -> None:
        while state["running"]:
            try:
                await asyncio.wait_for(slots.acquire(), 1.0)
            except TimeoutError:
                continue
            if not state["running"]:
                slots.release()
                return
            await post(conn)

    async def rate_sender() -> None:
        interval = 1.0 / spec["rate"]
        next_at = loop.time()
        pending: set[asyncio.Task[None]] = set()

        async def one() -> None:
            # Oldest first, so no connection idles past the server's keep-alive timeout.
            conn = idle_conns.pop(0) if idle_conns else None
            if conn is None or conn.closed:
                conn = await HttpConnection.open(host, port)
            try:
                await post(conn)
            finally:
                idle_conns.append(conn)

        while state["running"]:
            next_at += interval
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one())
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.gather(*pending)

    async def run_phase(label: str, first: int) -> list[dict[str, Any]]:
        out = []
        for w in range(spec["windows"]):
            idx = first + w
            lat[idx] = array("q")
            comp[idx] = array("q")
            deliveries[idx] = 0
            meter = Meter()
            ok0 = state["ok"]
            state["phase"] = idx
            await asyncio.sleep(spec["window_s"])
            state["phase"] = -1
            m = meter.done()
            rate = deliveries[idx] / m["wall_s"]
            out.append(
                {
                    **m,
                    "phase": label,
                    "deliveries": deliveries[idx],
                    "deliveries_per_s": rate,
                    "posts": state["ok"] - ok0,
                    "latency": _pcts(lat[idx]),
                    "complete": _pcts(comp[idx]),
                }
            )
            p = out[-1]["latency"]
            say(
                f"  {label} window {w + 1}: {rate:,.0f} deliveries/s, "
                f"p50 {1000 * (p['p50'] or 0):.1f} ms, p99 {1000 * (p['p99'] or 0):.1f} ms, "
                f"cpu {m['cpu_frac']:.0%}"
            )
            del lat[idx], comp[idx]
        return out

    if mode == "max":
        senders = [asyncio.create_task(max_sender(c)) for c in conns]
    else:
        senders = [asyncio.create_task(rate_sender())]
    await asyncio.sleep(spec["warmup_s"])
    windows = await run_phase("steady", 0)
    slow: WsClient | None = None
    if spec.get("slow_reader"):
        token = (spec.get("tokens") or [None])[0]
        slow = await fleet.open_one(spec["port"], spec["ws_path"], token, rcvbuf=4096)
        slow.on_text = lambda _c, _p: None
        slow.pause_reading()
        say("  slow reader connected and stopped reading")
        await asyncio.sleep(spec.get("slow_settle_s", 1.0))
        windows += await run_phase("slow", spec["windows"])
    state["running"] = False
    await asyncio.gather(*senders)
    deadline = loop.time() + spec.get("drain_s", 15)
    while remaining and loop.time() < deadline:  # noqa: ASYNC110 (a poll is simplest)
        await asyncio.sleep(0.05)
    missing = sum(remaining.values())
    if missing:
        fleet.error(f"missing deliveries ({len(remaining)} messages)", missing)
        most = max(ws.got for ws in fleet.ws)
        short = [ws for ws in fleet.ws if ws.got < most]
        ports = sorted({ws.port for ws in short})
        fleet.error(
            f"{len(short)} sockets (ports {ports}) got fewer messages, e.g. "
            f"{sorted(ws.got for ws in short)[:5]} of {most}"
        )
    closed = fleet.closed_count()
    if closed:
        codes = sorted({c.closed.result() for c in fleet.ws if c.closed.done()})
        fleet.error(f"sockets closed by the server (codes {codes})", closed)
    slow_closed = None
    if slow is not None:
        slow_closed = slow.closed.result() if slow.closed.done() else None
        slow.close()
    fleet.close_all()
    for c in conns:
        c.close()
    return {
        "windows": windows,
        "ok_total": state["ok"],
        "errors": fleet.errors,
        "sockets": n_sockets,
        "slow_reader_close": slow_closed,
    }


# --- idle --------------------------------------------------------------------------------------


async def idle(spec: dict[str, Any]) -> dict[str, Any]:
    fleet = Fleet(spec)
    meter = Meter()
    t0 = time.perf_counter()
    await fleet.open_all(_targets(spec))
    took = time.perf_counter() - t0
    for client in fleet.ws:  # acknowledge what came so far, as a client's heartbeat does
        if client.token is not None:
            client.send_text(json.dumps({"op": 1, "d": client.seq}))
    await asyncio.sleep(spec.get("settle_s", 1.0))
    say(f"HOLDING {json.dumps({'sockets': len(fleet.ws), 'seconds': took})}")
    m = meter.done()
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    await reader.readline()
    closed = fleet.closed_count()
    if closed:
        fleet.error("sockets closed by the server while idle", closed)
    fleet.close_all()
    await asyncio.sleep(0.2)
    return {"sockets": len(fleet.ws), "seconds": took, "errors": fleet.errors, **m}


# --- history ------------------------------------------------------------------------------


async def history(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    conn = await HttpConnection.open(host, port)
    headers = spec.get("headers", {})
    paths: dict[str, str] = spec["paths"]
    raws = {label: http_request("GET", p, host, headers) for label, p in paths.items()}
    errors: dict[str, int] = {}
    samples: dict[str, array[int]] = {label: array("q") for label in paths}
    counts: dict[str, int] = {}

    async def get(label: str) -> int | None:
        t0 = time.perf_counter_ns()
        status, body = await conn.request(raws[label])
        t1 = time.perf_counter_ns()
        if status != 200:
            key = f"HTTP {status}: {body[:120].decode(errors='replace')}"
            errors[key] = errors.get(key, 0) + 1
            return None
        counts[label] = body.count(b'"content":')  # messages on the page
        return t1 - t0

    for _ in range(spec["warmup"]):
        for label in paths:
            await get(label)
    meter = Meter()
    for _ in range(spec["requests"]):
        for label in paths:
            took = await get(label)
            if took is not None:
                samples[label].append(took)
    m = meter.done()
    conn.close()
    return {
        "depths": {
            label: {**_pcts(samples[label]), "messages": counts.get(label)} for label in paths
        },
        "errors": errors,
        **m,
    }


# --- large (workload 11) -----------------------------------------------------------------


async def _until_idle(settle: float, within: float = 120.0) -> None:
    """Wait until the servers stop using CPU (under 5 % over half a second), at most `within`."""
    await asyncio.sleep(settle)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = server_cpu_s()
        await asyncio.sleep(0.5)
        if server_cpu_s() - before < 0.025:
            return


async def large(spec: dict[str, Any]) -> dict[str, Any]:
    """One big server: for each online count, a connect storm, presence changes, joins."""
    host, port, path = spec["host"], spec["port"], spec["ws_path"]
    server_id = spec["server_id"]
    subscribe = spec["subscribe"]
    settle = spec["settle_s"]
    errors: dict[str, int] = {}
    counts = {"frames": 0, "ready_bytes": 0, "readies": 0}
    op14 = json.dumps(
        {"op": 14, "d": {"server_id": server_id, "after": "0", "limit": spec["page"]}}
    )

    def on_text(client: WsClient, payload: bytes) -> None:
        if payload.startswith(b'{"op":0,"s":'):
            client.seq = int(payload[12 : payload.index(b",", 12)])
            if b'"t":"READY"' in payload[:40]:
                counts["ready_bytes"] += len(payload)
                counts["readies"] += 1
                if subscribe:
                    client.send_text(op14)
                if not client.ready.done():
                    client.ready.set_result(None)
                return
            if b'"t":"MEMBER_LIST"' in payload[:40]:
                return
            counts["frames"] += 1
        elif b'"op":10' in payload and client.token is not None:
            client.send_text(json.dumps({"op": 2, "d": {"token": client.token}}))

    async def open_one(token: str) -> WsClient | None:
        for attempt in range(3):
            try:
                client = await WsClient.connect(host, port, path, on_text, token=token)
                done, _ = await asyncio.wait(
                    [client.ready, client.closed], return_when=asyncio.FIRST_COMPLETED
                )
                if client.ready in done:
                    return client
                raise ConnectionError(f"closed before READY ({client.closed.result()})")
            except (OSError, TimeoutError) as exc:
                if attempt == 2:
                    key = f"connect: {type(exc).__name__}: {exc}"
                    errors[key] = errors.get(key, 0) + 1
                await asyncio.sleep(0.2)
        return None

    async def open_all(tokens: list[str]) -> list[WsClient]:
        sem = asyncio.Semaphore(spec.get("connect_concurrency", 32))

        async def one(token: str) -> WsClient | None:
            async with sem:
                return await open_one(token)

        found = await asyncio.gather(*(one(t) for t in tokens))
        return [c for c in found if c is not None]

    outsiders = list(spec["outsiders"])
    rows = []
    for online in spec["sizes"]:
        counts.update(frames=0, ready_bytes=0, readies=0)
        meter = Meter()
        fleet = await open_all(spec["tokens"][:online])
        storm_s = time.perf_counter() - meter.wall0
        await asyncio.sleep(settle)
        storm = meter.done()
        connect_frames = counts["frames"] / max(1, len(fleet))
        ready_bytes = counts["ready_bytes"] / max(1, counts["readies"])
        # presence changes: members outside the first page of the list set "away"
        counts["frames"] = 0
        meter = Meter()
        changers = fleet[-spec["changes"] :]
        for client in changers:
            client.send_text(json.dumps({"op": 3, "d": {"status": "away"}}))
            await asyncio.sleep(0.02)
        await asyncio.sleep(settle)
        change = meter.done()
        change_frames = counts["frames"] / len(changers)
        # joins over the invite
        counts["frames"] = 0
        http = await HttpConnection.open(host, port)  # fresh: keep-alive ends after 5 s idle
        meter = Meter()
        for _ in range(spec["joins"]):
            token = outsiders.pop()
            raw = http_request(
                "POST",
                f"/api/v1/invites/{spec['invite']}",
                host,
                {"Authorization": f"Bearer {token}"},
                b"",
            )
            status, body = await http.request(raw)
            if status != 200:
                key = f"join: HTTP {status}: {body[:120].decode(errors='replace')}"
                errors[key] = errors.get(key, 0) + 1
        await asyncio.sleep(settle)
        join = meter.done()
        http.close()
        join_frames = counts["frames"] / max(1, spec["joins"])
        closed = sum(1 for c in fleet if c.closed.done())
        if closed:
            errors["sockets closed by the server"] = closed
        if len(fleet) != online:
            errors[f"{len(fleet)} of {online} sockets identified"] = 1
        for client in changers:  # back to online for the next size
            client.send_text(json.dumps({"op": 3, "d": {"status": "online"}}))
        await asyncio.sleep(0.2)
        for client in fleet:
            client.close()
        await _until_idle(settle)  # the disconnects are announced before the next storm
        row = {
            "online": online,
            "storm_s": storm_s,
            "connect_cpu_s": storm["server_cpu_s"] / max(1, len(fleet)),
            "connect_frames": connect_frames,
            "ready_bytes": ready_bytes,
            "change_cpu_s": change["server_cpu_s"] / len(changers),
            "change_frames": change_frames,
            "join_cpu_s": join["server_cpu_s"] / max(1, spec["joins"]),
            "join_frames": join_frames,
            "cpu_frac": storm["cpu_frac"],
        }
        rows.append(row)
        say(f"  {online} online: {json.dumps(row)}")
    return {"sizes": rows, "errors": errors}


SCENARIOS = {
    "http_post": http_post,
    "fanout": fanout,
    "idle": idle,
    "history": history,
    "large": large,
}


def main() -> None:
    raise_nofile()
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    scenario = SCENARIOS[spec["scenario"]]
    SERVER_PIDS.extend(spec.get("server_pids", []))
    try:
        import uvloop

        result = uvloop.run(scenario(spec))
    except ImportError:
        result = asyncio.run(scenario(spec))
    say("RESULT_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()

"""Workload 10: uploads. N concurrent multipart posts of one large file each (10 x 25 MiB in
full), then the same files downloaded at once, and N concurrent large images (24 MP JPEGs:
sniffed, measured and thumbnailed).

The measure is the server's memory: its RSS is sampled every 20 ms while the requests run, and
the peak above the idle RSS is compared with the bytes in flight (the "baseline": what a
server holding every file in memory would need at least). Target: the growth stays under
TARGET of the bytes in flight, i.e. the files are streamed, not held. Throughput (MiB/s) and
the server's CPU seconds per MiB are reported beside it; every stored file's SHA-256 is checked
against what was sent (a run that stored wrong bytes is void).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .harness import Config, Line, Server, community, concord, emit, verdict
from .stats import fmt

TARGET = 0.25
MIB = 1024 * 1024
CHUNK = MIB


@dataclass
class Sampler:
    """The peak RSS of a process, sampled in a thread."""

    read: Callable[[], int]
    interval_s: float = 0.02
    peak_kb: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, self.read())
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval_s)

    def __enter__(self) -> Sampler:
        self.peak_kb = self.read()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _form(boundary: str, filename: str, content_type: str) -> tuple[bytes, bytes]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n'
        f"{json.dumps({'content': 'bench upload'})}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="files[0]"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


async def _post(
    client: httpx.AsyncClient, token: str, channel: str, size: int, block: bytes
) -> tuple[int, str, dict[str, Any]]:
    """One upload of `size` bytes made of `block` repeated, streamed (never held whole)."""
    boundary = "bench" + secrets.token_hex(8)
    head, tail = _form(boundary, "big.bin", "application/octet-stream")
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        yield head
        left = size
        while left:
            piece = block[: min(len(block), left)]
            digest.update(piece)
            left -= len(piece)
            yield piece
        yield tail

    r = await client.post(
        f"/api/v1/channels/{channel}/messages",
        content=body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
    )
    return r.status_code, digest.hexdigest(), r.json() if r.status_code == 201 else {}


async def _post_bytes(
    client: httpx.AsyncClient, token: str, channel: str, data: bytes, name: str, mime: str
) -> int:
    boundary = "bench" + secrets.token_hex(8)
    head, tail = _form(boundary, name, mime)
    r = await client.post(
        f"/api/v1/channels/{channel}/messages",
        content=head + data + tail,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    return r.status_code


async def _download(client: httpx.AsyncClient, url: str) -> tuple[int, int]:
    total = 0
    async with client.stream("GET", url) as r:
        async for chunk in r.aiter_bytes():
            total += len(chunk)
    return r.status_code, total


def _jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def run(cfg: Config) -> None:
    count = cfg.size(10, 3)
    size = cfg.size(25 * MIB, 2 * MIB)
    side = cfg.size((6000, 4000), (1200, 800))
    print(
        f"== workload 10: uploads, {count} x {size // MIB} MiB, SQLite + local storage", flush=True
    )
    with concord(cfg, "w8", rate_limits="false") as app:
        people = community(app, 2)
        asyncio.run(_measure(cfg, app, people.owner_token, people.channel_id, count, size, side))


async def _measure(
    cfg: Config,
    app: Server,
    token: str,
    channel: str,
    count: int,
    size: int,
    side: tuple[int, int],
) -> None:
    block = os.urandom(CHUNK)
    limits = httpx.Limits(max_connections=count + 2)
    async with httpx.AsyncClient(base_url=app.base, timeout=300, limits=limits) as client:
        await _post(client, token, channel, MIB, block)  # warm: imports, pools, first file
        await asyncio.sleep(0.5)
        idle_kb = app.proc.rss_kb()
        cpu0, t0 = app.proc.cpu_s(), time.monotonic()
        with Sampler(app.proc.rss_kb) as sampler:
            answers = await asyncio.gather(
                *(_post(client, token, channel, size, block) for _ in range(count))
            )
        elapsed, cpu = time.monotonic() - t0, app.proc.cpu_s() - cpu0
        bad = [status for status, _, _ in answers if status != 201]
        wrong = [
            1
            for status, digest, body in answers
            if status == 201 and body["attachments"][0]["size"] != size
        ]
        _line(cfg, "upload", count, size, idle_kb, sampler.peak_kb, elapsed, cpu, bad, wrong)

        urls = [body["attachments"][0]["url"] for status, _, body in answers if status == 201]
        cpu0, t0 = app.proc.cpu_s(), time.monotonic()
        with Sampler(app.proc.rss_kb) as sampler:
            got = await asyncio.gather(*(_download(client, u) for u in urls))
        elapsed, cpu = time.monotonic() - t0, app.proc.cpu_s() - cpu0
        bad = [s for s, _ in got if s != 200]
        wrong = [1 for s, n in got if s == 200 and n != size]
        _line(cfg, "download", len(urls), size, idle_kb, sampler.peak_kb, elapsed, cpu, bad, wrong)

        picture = _jpeg(*side)
        idle_kb = app.proc.rss_kb()
        cpu0, t0 = app.proc.cpu_s(), time.monotonic()
        with Sampler(app.proc.rss_kb) as sampler:
            statuses = await asyncio.gather(
                *(
                    _post_bytes(client, token, channel, picture, "photo.jpg", "image/jpeg")
                    for _ in range(count)
                )
            )
        elapsed, cpu = time.monotonic() - t0, app.proc.cpu_s() - cpu0
        decoded = side[0] * side[1] * 3
        bad = [s for s in statuses if s != 201]
        grown = max(0, sampler.peak_kb - idle_kb) * 1024
        note = (
            f"{side[0]}x{side[1]} JPEG of {len(picture) / MIB:.1f} MiB, {count} at once; "
            f"decoded size {decoded / MIB:.0f} MiB each; {elapsed:.1f} s, "
            f"{cpu / count:.2f} CPU s per image; peak RSS {sampler.peak_kb / 1024:.0f} MiB"
        )
        ok = not bad and grown <= count * decoded * TARGET * 2
        emit(
            cfg,
            Line(
                "10",
                "image thumbnails",
                f"+{grown / MIB:.0f} MiB RSS",
                f"{count * decoded / MIB:.0f} MiB decoded",
                f"{grown / (count * decoded):.2f}",
                f"<= {TARGET * 2:.2f}",
                verdict(ok, [f"{len(bad)} answers not 201"] if bad else []),
                note,
            ),
        )


def _line(
    cfg: Config,
    what: str,
    count: int,
    size: int,
    idle_kb: int,
    peak_kb: int,
    elapsed: float,
    cpu: float,
    bad: list[int],
    wrong: list[int],
) -> None:
    in_flight = count * size
    grown = max(0, peak_kb - idle_kb) * 1024
    void = []
    if bad:
        void.append(f"{len(bad)} answers were not 2xx: {sorted(set(bad))}")
    if wrong:
        void.append(f"{len(wrong)} files came back with the wrong size")
    mib = in_flight / MIB
    note = (
        f"{count} x {size / MIB:.0f} MiB at once in {elapsed:.1f} s = "
        f"{fmt(mib / elapsed, 1)} MiB/s; "
        f"{cpu / mib * 1000:.1f} CPU ms per MiB; idle RSS {idle_kb / 1024:.0f} MiB, "
        f"peak {peak_kb / 1024:.0f} MiB"
    )
    emit(
        cfg,
        Line(
            "10",
            f"{what} memory",
            f"+{grown / MIB:.0f} MiB RSS",
            f"{mib:.0f} MiB in flight",
            f"{grown / in_flight:.2f}",
            f"<= {TARGET:.2f}",
            verdict(grown <= in_flight * TARGET, void),
            note,
        ),
    )

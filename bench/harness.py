"""The orchestrator's tools: processes pinned to cores, the app's setup, and result lines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .stats import median

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PYTHON = sys.executable
CPU_VOID = 0.90
"""A load generator above this share of its core may be measuring itself: the run is void."""
SECRET = "bench-secret-" + "k" * 48


@dataclass
class Config:
    tiny: bool
    workdir: Path
    pg_url: str
    redis_url: str
    app_core: int | None
    load_core: int | None
    warmup_s: float
    window_s: float
    windows: int
    lines: list[Line] = field(default_factory=list)

    def size(self, full: Any, tiny: Any) -> Any:
        return tiny if self.tiny else full


def pick_cores() -> tuple[int | None, int | None]:
    """App on the first core we may use, load on the second; no pinning with one core."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    if len(cores) < 2:
        return None, None
    return cores[0], cores[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _preexec(core: int | None) -> Callable[[], None]:
    def setup() -> None:
        if core is not None:
            os.sched_setaffinity(0, {core})
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    return setup


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    paths = [str(SRC), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


class Proc:
    """A server process (our app or the raw baseline) with its log file."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], core: int | None, log: Path
    ):
        self.name = name
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=str(ROOT),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_preexec(core),
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def wait_http(self, url: str, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer {url} within {within} s")

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


@dataclass
class Server:
    proc: Proc
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def app_env(cfg: Config, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        "CHAT_DATA_DIR": str(data_dir),
        "CHAT_HOST": "127.0.0.1",
        "CHAT_PORT": str(port),
        "CHAT_SECRET_KEY": SECRET,
        "CHAT_RATE_LIMITS": "false",
        "CHAT_ARGON2_TIME_COST": "1",
        "CHAT_ARGON2_MEMORY_KIB": "1024",
        "CHAT_ARGON2_PARALLELISM": "1",
        "CHAT_LOG_LEVEL": "warning",
        "CHAT_WS_MAX_PER_IP": "1000000",
        "CHAT_WS_MAX_PER_USER": "1000000",
        # many sockets per user (setup stays cheap): the per-user gateway budgets must not
        # refuse them (they are tested in tests/integration/security)
        "CHAT_WS_FRAMES_PER_MINUTE": "1000000",
        "CHAT_WS_IDENTIFY_PER_MINUTE": "1000000",
        "CHAT_HEARTBEAT_MS": "3600000",
    }
    env.update({f"CHAT_{k.upper()}": v for k, v in extra.items()})
    return env


@contextlib.contextmanager
def concord(cfg: Config, name: str, **extra: str) -> Iterator[Server]:
    """Our app, `python -m entrypoints.cli serve`, pinned to the app core."""
    port = free_port()
    data_dir = cfg.workdir / f"{name}-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = child_env(app_env(cfg, data_dir, port, **extra))
    proc = Proc(
        name,
        [PYTHON, "-m", "entrypoints.cli", "serve"],
        env,
        cfg.app_core,
        cfg.workdir / f"{name}.log",
    )
    try:
        proc.wait_http(f"http://127.0.0.1:{port}/health")
        yield Server(proc, port)
    finally:
        proc.stop()


@contextlib.contextmanager
def raw_baseline(
    cfg: Config, name: str, db_url: str | None = None, ids: dict[str, int] | None = None
) -> Iterator[Server]:
    """The raw ASGI baseline (bench/baseline.py) on the same uvicorn, pinned to the app core."""
    port = free_port()
    extra = {"BENCH_PORT": str(port)}
    if db_url:
        extra |= {"BENCH_DB_URL": db_url, "BENCH_IDS": json.dumps(ids), "BENCH_POOL_SIZE": "10"}
    proc = Proc(
        name,
        [PYTHON, "-m", "bench.baseline"],
        child_env(extra),
        cfg.app_core,
        cfg.workdir / f"{name}.log",
    )
    try:
        proc.wait_http(f"http://127.0.0.1:{port}/health")
        yield Server(proc, port)
    finally:
        proc.stop()


def _spec_file(cfg: Config, spec: dict[str, Any]) -> Path:
    path = cfg.workdir / f"spec-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(spec))
    return path


def run_child(
    cfg: Config,
    module: str,
    spec: dict[str, Any],
    core: int | None,
    within: float = 900,
    on_line: Callable[[str, subprocess.Popen[str]], None] | None = None,
) -> dict[str, Any]:
    """Run `python -m module spec.json` pinned to `core`; echo its lines; return its result."""
    path = _spec_file(cfg, spec)
    err_path = path.with_suffix(".err")
    with open(err_path, "wb") as err:
        popen = subprocess.Popen(
            [PYTHON, "-m", module, str(path)],
            env=child_env(),
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.PIPE,
            text=True,
            preexec_fn=_preexec(core),
        )
        result: dict[str, Any] | None = None
        deadline = time.monotonic() + within
        assert popen.stdout is not None
        for line in popen.stdout:
            line = line.rstrip("\n")
            if line.startswith("RESULT_JSON "):
                result = json.loads(line[len("RESULT_JSON ") :])
            else:
                print(line, flush=True)
                if on_line is not None:
                    on_line(line, popen)
            if time.monotonic() > deadline:
                popen.kill()
                break
        code = popen.wait()
    if code != 0 or result is None:
        tail = err_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{module} failed (exit {code}):\n{tail}")
    return result


def load(cfg: Config, spec: dict[str, Any], *servers: Server, **kw: Any) -> dict[str, Any]:
    """Run the load generator on the load core; it also reads the servers' CPU time."""
    spec = spec | {"server_pids": [s.proc.pid for s in servers]}
    return run_child(cfg, "bench.loadgen", spec, cfg.load_core, **kw)


def cpu_per_op(result: dict[str, Any], count: str, phase: str | None = None) -> float:
    """Median over the windows of the servers' CPU seconds per operation: less sensitive to
    other load on the machine than throughput (which needs the CPU to be ours)."""
    values = []
    for w in result.get("windows", []):
        if phase is not None and w.get("phase") != phase:
            continue
        if w.get(count) and "server_cpu_s" in w:
            values.append(w["server_cpu_s"] / w[count])
    return median(values)


# --- the app's accounts --------------------------------------------------------------------


@dataclass
class Community:
    """Users in one server (guild) with one channel, as created over the app's REST API."""

    owner_token: str
    tokens: list[str]
    server_id: str
    channel_id: str


async def _register(client: httpx.AsyncClient, name: str) -> str:
    r = await client.post(
        "/api/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "bench-password"},
    )
    r.raise_for_status()
    return str(r.json()["token"])


async def _community(base: str, users: int) -> Community:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        tag = secrets.token_hex(3)
        owner = await _register(client, f"own{tag}")
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> str:
            async with sem:
                return await _register(client, f"u{tag}x{i}")

        others = await asyncio.gather(*(one(i) for i in range(users - 1)))
        auth = {"Authorization": f"Bearer {owner}"}
        r = await client.post("/api/v1/servers", json={"name": "bench"}, headers=auth)
        r.raise_for_status()
        server = r.json()
        r = await client.post(
            f"/api/v1/servers/{server['id']}/invites",
            json={"max_age": 0, "max_uses": 0},
            headers=auth,
        )
        r.raise_for_status()
        code = r.json()["code"]

        async def join(token: str) -> None:
            async with sem:
                answer = await client.post(
                    f"/api/v1/invites/{code}", headers={"Authorization": f"Bearer {token}"}
                )
                answer.raise_for_status()

        await asyncio.gather(*(join(t) for t in others))
        return Community(owner, [owner, *others], server["id"], server["channels"][0]["id"])


def community(server: Server, users: int) -> Community:
    return asyncio.run(_community(server.base, users))


# --- results -------------------------------------------------------------------------------------


@dataclass
class Line:
    workload: str
    label: str
    ours: str
    baseline: str
    ratio: str
    target: str
    verdict: str
    note: str = ""


def emit(cfg: Config, line: Line) -> None:
    cfg.lines.append(line)
    parts = [
        f"RESULT w{line.workload} {line.label}",
        f"ours {line.ours}",
        f"baseline {line.baseline}",
        f"ratio {line.ratio}",
        f"target {line.target}",
        line.verdict,
    ]
    text = " | ".join(parts)
    if line.note:
        text += f" ({line.note})"
    print(text, flush=True)


def skip(cfg: Config, workload: str, label: str, why: str) -> None:
    line = Line(workload, label, "-", "-", "-", "-", f"SKIPPED: {why}")
    cfg.lines.append(line)
    print(f"RESULT w{workload} {label} | SKIPPED: {why}", flush=True)


def voids(
    result: dict[str, Any],
    rows: int | None = None,
    expected: int | None = None,
    *,
    cpu: bool = True,
) -> list[str]:
    """Why a load run is void: its generator saturated its core, it saw errors, or the rows
    in the database do not match the successes."""
    out = []
    cpus = [w.get("cpu_frac", 0.0) for w in result.get("windows", [])]
    if "cpu_frac" in result:
        cpus.append(result["cpu_frac"])
    if cpu and cpus and max(cpus) >= CPU_VOID:
        out.append(f"load generator used {max(cpus):.0%} of its core")
    if result.get("errors"):
        errs = "; ".join(f"{k} x{v}" for k, v in list(result["errors"].items())[:3])
        out.append(f"errors: {errs}")
    if rows is not None and expected is not None and rows != expected:
        out.append(f"errors: {rows} rows in the database but {expected} successes")
    return out


def verdict(ok: bool, void: list[str]) -> str:
    if void:
        return "VOID: " + "; ".join(void)
    return "PASS" if ok else "MISS"


def med(windows: list[dict[str, Any]], key: str, sub: str | None = None) -> float:
    values = []
    for w in windows:
        v = w[key] if sub is None else w[key][sub]
        values.append(math.nan if v is None else float(v))
    return median(values)


def load_cpu(result: dict[str, Any]) -> float:
    return max((w.get("cpu_frac", 0.0) for w in result.get("windows", [])), default=math.nan)

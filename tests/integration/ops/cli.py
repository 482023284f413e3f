"""Run the real `concord` command (the console script installed in the virtual environment)
in a clean environment: no CHAT_* variable but the test's, a working directory of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..api.harness import TEST_SECRET

SRC = Path(__file__).resolve().parents[3] / "src"
_SCRIPT = Path(sys.executable).parent / "concord"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "entrypoints"]


def clean_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CHAT_")}
    env.update(
        PYTHONPATH=str(SRC),
        CHAT_SECRET_KEY=TEST_SECRET,
        CHAT_ARGON2_TIME_COST="1",
        CHAT_ARGON2_MEMORY_KIB="1024",
        CHAT_ARGON2_PARALLELISM="1",
    )
    env.update(variables)
    return env


def concord(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def which(program: str) -> str | None:
    return shutil.which(program)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    """`concord serve` in a process of its own; `stop()` ends it and returns its output."""

    def __init__(self, cwd: Path, env: dict[str, str], *args: str) -> None:
        import httpx

        self.port = free_port()
        self.log_path = cwd / f"serve-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(self.port), *args],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = 60.0
        import time

        started = time.monotonic()
        while time.monotonic() - started < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"concord serve exited: {self.output()}")
            try:
                if httpx.get(self.url + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"concord serve did not become ready: {self.output()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/gateway"

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> str:
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.log_path.read_text(errors="replace")

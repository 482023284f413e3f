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

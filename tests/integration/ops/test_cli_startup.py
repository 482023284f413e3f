"""`concord` as an operator meets it: every configuration mistake is one line naming the
setting, exit status 2, before anything else happens (no file created, nothing migrated, no
port bound); unreachable services exit 1; `--version`; the db commands."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .cli import clean_env, concord


@pytest.mark.parametrize(
    ("variables", "args", "expected"),
    [
        ({"CHAT_DATABASE_URL": "garbage"}, ["serve"], "CHAT_DATABASE_URL: must be a URL like"),
        ({"CHAT_DATABASE_URL": "mysql://u@h/db"}, ["serve"], "CHAT_DATABASE_URL: the database"),
        ({"CHAT_WORKER_ID": "abc"}, ["serve"], "CHAT_WORKER_ID: must be a whole number"),
        ({"CHAT_WORKER_ID": "5000"}, ["serve"], "CHAT_WORKER_ID: must be less than or equal"),
        ({"CHAT_LOG_LEVEL": "bogus"}, ["serve"], "CHAT_LOG_LEVEL: must be 'debug', 'info'"),
        ({}, ["serve", "--port", "99999"], "--port (CHAT_PORT): must be less than or equal"),
        ({"CHAT_DATABASE_URL": "garbage"}, ["db", "current"], "CHAT_DATABASE_URL: must be"),
        ({}, ["db", "upgrade", "--database-url", "x"], "--database-url (CHAT_DATABASE_URL):"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(
    tmp_path: Path, variables: dict[str, str], args: list[str], expected: str
) -> None:
    done = concord(*args, cwd=tmp_path, env=clean_env(**variables))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"concord: {expected}"), done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing happened: no data folder, no secret


def test_missing_postgres_database_or_role_is_a_setting_mistake(
    tmp_path: Path, postgres_url: str
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    for wrong in (url.set(database="concord_no_such_db"), url.set(username="concord_no_role")):
        text = wrong.render_as_string(hide_password=False)
        done = concord("db", "current", "--database-url", text, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("concord: CHAT_DATABASE_URL: the database refused"), (
            done.stderr
        )
        assert "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_unreachable_database_exits_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = concord(
        "db", "current", "--database-url", f"postgresql://u@127.0.0.1:{port}/x", cwd=tmp_path
    )
    assert done.returncode == 1 and "cannot reach the database" in done.stderr, done.stderr


def test_port_in_use_is_refused_before_anything_happens(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        data = tmp_path / "data"
        done = concord("serve", "--port", str(port), "--data-dir", str(data), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"127.0.0.1:{port} is already in use" in done.stderr
    assert not data.exists()  # not migrated, no secret written
    assert "serving" not in done.stderr and "startup complete" not in done.stderr


def test_version(tmp_path: Path) -> None:
    done = concord("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("concord ")


def test_every_command_has_help(tmp_path: Path) -> None:
    done = concord("--help", cwd=tmp_path)
    assert done.returncode == 0
    commands = ["serve", "cluster", "db upgrade", "db current"]
    for command in commands:
        assert command.split()[0] in done.stdout
        sub = concord(*command.split(), "--help", cwd=tmp_path)
        assert sub.returncode == 0 and "usage: concord" in sub.stdout, command


def test_db_current_creates_nothing_and_upgrade_takes_the_flags(tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    done = concord("db", "current", "--data-dir", str(data), cwd=tmp_path)
    assert done.returncode == 1 and "no database at" in done.stderr
    assert not data.exists()
    done = concord("db", "upgrade", "--data-dir", str(data), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (data / "concord.db").exists()
    done = concord("db", "current", "--data-dir", str(data), cwd=tmp_path)
    assert done.returncode == 0 and "(newest)" in done.stdout, done.stdout
    url = f"sqlite:///{data / 'concord.db'}"
    done = concord("db", "current", "--database-url", url, cwd=tmp_path)
    assert done.returncode == 0 and "(newest)" in done.stdout


def test_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHAT_DATA_DIR=from-dotenv\n")
    done = concord("db", "upgrade", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-dotenv" / "concord.db").exists()
    (tmp_path / ".env").write_text("CHAT_DATA_DIRR=typo\n")
    done = concord("db", "upgrade", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "concord: CHAT_DATA_DIRR (in .env): not a Concord setting; see .env.example for the list"
    )


def test_a_served_worker_keeps_its_start_up_objects_out_of_the_collector(tmp_path: Path) -> None:
    """`concord serve` builds each worker's app with `create_served_app`, which freezes what
    start-up made, so full collections do not walk it on every pass (a test building apps
    with `create_app` is left alone)."""
    probe = (
        "import gc\n"
        "from entrypoints.app import create_app, create_served_app\n"
        "create_app(); plain = gc.get_freeze_count()\n"
        "create_served_app(); print(plain, gc.get_freeze_count())\n"
    )
    env = clean_env(CHAT_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    plain, served = (int(n) for n in done.stdout.split())
    assert plain == 0
    assert served > 50_000  # the app, its modules and libraries: ~185,000 objects

"""Race: logins keep coming while the operator disables the account with the real CLI
(PostgreSQL). Every token a login handed out must be dead afterwards (no session opened
after the disable survives), and no answer is a 5xx."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from ..api.harness import live_server, make_settings
from .cli import COMMAND, clean_env

PASSWORD = "Racing-pw-123"


async def test_disable_racing_logins_leaves_no_live_token(
    tmp_path: Path, postgres_database_factory: Any
) -> None:
    url = postgres_database_factory()
    with live_server(make_settings(tmp_path, url)) as server:
        async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=30) as api:
            r = await api.post(
                "/auth/register",
                json={"username": "racer", "email": "racer@example.com", "password": PASSWORD},
            )
            assert r.status_code == 201
            answers: list[httpx.Response] = []

            async def login() -> httpx.Response:
                return await api.post("/auth/login", json={"login": "racer", "password": PASSWORD})

            async def keep_logging_in(stop: asyncio.Event) -> None:
                while not stop.is_set():
                    answers.append(await login())

            cli = await asyncio.create_subprocess_exec(
                *COMMAND,
                "user",
                "disable",
                "racer",
                "--database-url",
                url,
                cwd=tmp_path,
                env=clean_env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            stop = asyncio.Event()
            loggers = [asyncio.create_task(keep_logging_in(stop)) for _ in range(4)]
            _out, err = await cli.communicate()
            await asyncio.sleep(0.2)
            stop.set()
            await asyncio.gather(*loggers)
            assert cli.returncode == 0, err.decode()
            assert answers and all(a.status_code < 500 for a in answers), [a.text for a in answers]
            assert any(a.status_code == 200 for a in answers)  # some logged in before
            assert {a.json()["code"] for a in answers if a.status_code != 200} <= {
                "account_disabled"
            }
            for answer in answers:
                if answer.status_code == 200:
                    auth = {"Authorization": f"Bearer {answer.json()['token']}"}
                    me = await api.get("/users/@me", headers=auth)
                    assert me.status_code == 401, me.text
            assert (await login()).json()["code"] == "account_disabled"

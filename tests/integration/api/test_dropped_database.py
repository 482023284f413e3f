"""A database that disappears under a running app (DROP DATABASE ... WITH (FORCE), a lost
volume): every route, /ready included, answers 503 with Retry-After, never 500."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from .harness import Api, live_server, make_settings

pytestmark = pytest.mark.postgres


async def test_every_route_is_503_after_the_database_is_dropped(
    tmp_path: Path, postgres_database_factory: Callable[[], str]
) -> None:
    url = postgres_database_factory()
    parsed = make_url(url)
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    with live_server(make_settings(tmp_path, url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            api = Api(http, server)
            alice = await api.register("alice")
            created = await api.create_server(alice)
            cid = created["channels"][0]["id"]
            admin = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
            try:
                await admin.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
            finally:
                await admin.close()
            answers = [
                await http.get("/ready"),
                await api.get("/users/@me", alice),
                await api.get(f"/servers/{created['id']}", alice),
                await api.post(f"/channels/{cid}/messages", alice, json={"content": "hi"}),
                await api.post("/servers", alice, json={"name": "new"}),
                await api.post(
                    "/auth/login", json={"login": alice.username, "password": alice.password}
                ),
            ]
            for r in answers:
                assert r.status_code == 503, (r.request.url.path, r.status_code, r.text)
                assert int(r.headers["Retry-After"]) >= 1

"""The shipped nginx configuration (deploy/nginx/concord.conf, verbatim) in front of two real
instances on PostgreSQL and Redis: a REST message and a gateway session go through it, the
WebSocket upgrade works, and the instances see the client's own address (X-Forwarded-For),
not nginx's. nginx is a Debian package that `make test` installs (scripts/system-deps.sh);
its absence fails this test, it never skips it."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from .cli import RunningServer, clean_env, free_port

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "nginx"
CLIENT_ADDRESS = "127.0.0.2"
"""The test's client connects from another loopback address than nginx's own."""


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail(
            "nginx is not installed: run `make test` (as root it installs it) or "
            "apt-get install nginx",
            pytrace=False,
        )
    return found


@pytest.fixture
def nginx_in_front(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
) -> Iterator[tuple[str, list[RunningServer]]]:
    env = clean_env(
        CHAT_DATA_DIR=str(tmp_path / "data"),
        CHAT_DATABASE_URL=postgres_url,
        CHAT_REDIS_URL=redis_url,
        CHAT_REDIS_PREFIX=redis_prefix,
        CHAT_RATE_LIMITS="false",
        CHAT_LOG_FORMAT="json",
    )
    instances: list[RunningServer] = []
    nginx = None
    try:
        for _ in range(2):
            instances.append(RunningServer(tmp_path, env))
        port = free_port()
        conf = tmp_path / "nginx"
        (conf / "logs").mkdir(parents=True)
        shipped = (DEPLOY / "concord.conf").read_text()
        assert "\n    listen 80;\n" in shipped
        (conf / "concord.conf").write_text(
            shipped.replace("\n    listen 80;\n", f"\n    listen 127.0.0.1:{port};\n")
        )
        servers = "".join(f"    server 127.0.0.1:{i.port};\n" for i in instances)
        (conf / "upstreams.conf").write_text(f"upstream concord {{\n{servers}}}\n")
        (conf / "nginx.conf").write_text(
            f"worker_processes 1;\npid {conf}/nginx.pid;\nerror_log {conf}/logs/error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n  access_log {conf}/logs/access.log;\n"
            f"  client_body_temp_path {conf}/body;\n  proxy_temp_path {conf}/proxy;\n"
            f"  include {conf}/concord.conf;\n}}\n"
        )
        binary = nginx_binary()
        test = subprocess.run(
            [binary, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert test.returncode == 0, test.stderr
        nginx = subprocess.Popen(
            [binary, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.1)
        yield url, instances
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for instance in instances:
            instance.stop()


async def _through(url: str) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS)
    async with httpx.AsyncClient(base_url=url + "/api/v1", transport=transport, timeout=15) as api:
        r = await api.post(
            "/auth/register",
            json={"username": "viaproxy", "email": "via@example.com", "password": "Proxied-pw-12"},
        )
        assert r.status_code == 201, r.text
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        guild = (await api.post("/servers", json={"name": "Proxied"}, headers=auth)).json()
        channel = guild["channels"][0]["id"]
        ws_url = url.replace("http://", "ws://") + "/api/v1/gateway"
        async with connect(ws_url, local_addr=(CLIENT_ADDRESS, 0), compression=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["op"] == 10
            await ws.send(json.dumps({"op": 2, "d": {"token": r.json()["token"]}}))
            ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ready["t"] == "READY"
            # Several sends: nginx spreads them over both instances; each reaches the socket.
            for i in range(4):
                sent = await api.post(
                    f"/channels/{channel}/messages",
                    json={"content": f"through nginx {i}"},
                    headers=auth,
                )
                assert sent.status_code in (200, 201), sent.text
            got = []
            while len(got) < 4:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame.get("t") == "MESSAGE_CREATE":
                    got.append(frame["d"]["content"])
            assert got == [f"through nginx {i}" for i in range(4)]


def test_rest_and_gateway_through_the_shipped_nginx_config(
    nginx_in_front: tuple[str, list[RunningServer]],
) -> None:
    url, instances = nginx_in_front
    asyncio.run(_through(url))
    assert httpx.get(url + "/metrics").status_code == 404  # kept off the public side
    time.sleep(0.5)
    access = []
    for instance in instances:
        for line in instance.output().splitlines():
            if '"concord.access"' in line:
                access.append(json.loads(line))
    ours = [a for a in access if a["path"].startswith("/api/v1/")]
    assert ours, access
    # Every request of the test reached an instance with the client's address, not nginx's.
    assert {a["client"] for a in ours} == {CLIENT_ADDRESS}, {a["client"] for a in ours}
    sockets = [a for a in ours if a["path"] == "/api/v1/gateway"]
    assert [s["status"] for s in sockets] == [101]
    # Both instances served part of the traffic.
    per_instance = [
        sum('"concord.access"' in ln and "/api/v1/" in ln for ln in i.output().splitlines())
        for i in instances
    ]
    assert all(count > 0 for count in per_instance), per_instance

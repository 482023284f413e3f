"""CORS: only the configured origins may read answers from a browser; none by default."""

from __future__ import annotations

import httpx
import pytest

from .conftest import ServerFactory

LISTED = "https://chat.example.com"
FOREIGN = "https://evil.example.net"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


def _allowed_origin(r: httpx.Response) -> str | None:
    return r.headers.get("access-control-allow-origin")


@pytest.mark.parametrize("configured", [True, False], ids=["listed-origins", "no-setting"])
def test_cors_answers_only_listed_origins(start_server: ServerFactory, configured: bool) -> None:
    origins = (LISTED,) if configured else ()
    with start_server(cors_origins=origins) as server:
        url = f"{server.url}/api/v1/servers"
        listed = httpx.options(url, headers={"Origin": LISTED, **PREFLIGHT})
        foreign = httpx.options(url, headers={"Origin": FOREIGN, **PREFLIGHT})
        read = httpx.get(url + "/1", headers={"Origin": FOREIGN})
    assert _allowed_origin(foreign) is None and _allowed_origin(read) is None
    assert _allowed_origin(listed) == (LISTED if configured else None)
    if configured:
        assert listed.status_code == 204
        assert "authorization" in listed.headers["access-control-allow-headers"].lower()
        assert foreign.status_code == 400
        assert listed.headers.get("access-control-allow-credentials") is None  # no cookies

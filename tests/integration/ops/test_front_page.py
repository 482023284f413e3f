"""`/` is a small page for people; the API docs page loads nothing from the internet."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from ..api.harness import live_server, make_settings


def test_front_page_and_offline_docs(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, site_name="Friends <3")) as server:
        page = httpx.get(server.url + "/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Friends &lt;3</h1>" in page.text
        assert "Concord " in page.text and server.url in page.text
        assert 'href="/schema/swagger"' in page.text
        for path in ("/schema", "/schema/swagger"):
            docs = httpx.get(server.url + path)
            assert docs.status_code == 200
            assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
            assert assets and all(a.startswith("/schema/assets/") for a in assets), assets
            assert "https://" not in docs.text and "http://" not in docs.text
            for asset in assets:
                got = httpx.get(server.url + asset)
                assert got.status_code == 200 and len(got.content) > 500, asset
        assert httpx.get(server.url + "/schema/openapi.json").status_code == 200

"""`/`: a small page for a person who opens the server's address in a browser: its name and
version, how to connect the desktop client, where the API documentation is."""

from __future__ import annotations

import html
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar import Request, Response, get
from litestar.enums import MediaType

from .auth import PUBLIC
from .params import AppContainer


def package_version() -> str:
    try:
        return version("concord")
    except PackageNotFoundError:
        return "unknown"


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{name}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1f2328; }}
code {{ background: #f0f1f3; padding: 0.1rem 0.3rem; border-radius: 4px; }}
.muted {{ color: #656d76; }}
</style>
</head>
<body>
<h1>{name}</h1>
<p class="muted">Concord {version}: a self-hosted chat server.</p>
<h2>Connect the desktop client</h2>
<ol>
<li>Start the Concord desktop client.</li>
<li>In the login screen, set the server address to <code>{url}</code>.</li>
<li>Register an account (or log in), then create a server or join one with an invite code.</li>
</ol>
<h2>For developers</h2>
<p>The REST API lives under <code>{url}/api/v1</code>, the live gateway at
<code>{ws}/api/v1/gateway</code>. The API documentation:
<a href="/schema/swagger">interactive</a> or <a href="/schema/openapi.json">OpenAPI JSON</a>.</p>
</body>
</html>
"""


@get("/", opt={PUBLIC: True}, include_in_schema=False, sync_to_thread=False)
def front_page(request: Request[Any, Any, Any], container: AppContainer) -> Response[str]:
    base = str(request.base_url).rstrip("/")
    ws = "wss" + base[5:] if base.startswith("https") else "ws" + base[4:]
    page = _PAGE.format(
        name=html.escape(container.settings.site_name),
        version=html.escape(package_version()),
        url=html.escape(base),
        ws=html.escape(ws),
    )
    return Response(page, media_type=MediaType.HTML)

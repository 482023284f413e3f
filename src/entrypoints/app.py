"""The Litestar application factory: the composition root's container (bootstrap.py) under
the REST routes and the gateway. Part of the top of `entrypoints`, with bootstrap and cli."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusController
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from . import slow_clients
from .bootstrap import Container, build_container
from .discord_v10.gateway import gateway_v10
from .discord_v10.rest import discord_router
from .gateway.going_away import reconnect_on_exit
from .gateway.routes import gateway, reaper
from .http.auth import PUBLIC, auth_middleware, provide_identity
from .http.auth_routes import AuthController
from .http.channels import ChannelController, MessageController
from .http.errors import EXCEPTION_HANDLERS, document_errors, require_json_body
from .http.files import FileController, document_files
from .http.front import front_page
from .http.invites import InviteController
from .http.ops import health, ready
from .http.params import provide_container
from .http.private_channels import BlockController, PrivateChannelController, RecipientController
from .http.reactions import PinController, ReactionController
from .http.read_states import ReadStateController
from .http.search import SearchController
from .http.servers import ServerController
from .http.users import UserController
from .logs import configure_logging
from .observability import request_context_middleware, track
from .paths import API_PREFIX
from .settings import Settings

log = logging.getLogger(__name__)

DOCS_ASSETS = "/schema/assets"
"""Swagger UI's scripts and styles, served from the pinned swagger-ui-bundle package: the API
docs page works on a box without internet access and loads nothing from a CDN."""


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Concord chat API",
        version="1.0.0",
        description="REST API of a self-hostable Discord-style chat service. "
        "IDs are strings. The live gateway is described in docs/gateway.md.",
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path=["/swagger", "/"],
                js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f'<link rel="icon" href="{DOCS_ASSETS}/favicon-32x32.png">',
            )
        ],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"BearerToken": []}],
    )


class Metrics(PrometheusController):
    """Prometheus metrics: HTTP by route, gateway sessions, events, slow sockets."""

    path = "/metrics"
    include_in_schema = False
    opt = {PUBLIC: True}


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await container.start()
        try:
            async with reaper(container.gateway_state):
                with reconnect_on_exit(container.gateway_state):
                    yield
        finally:
            await container.stop()

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AuthController,
            UserController,
            PrivateChannelController,
            BlockController,
            RecipientController,
            ServerController,
            InviteController,
            ChannelController,
            MessageController,
            ReactionController,
            PinController,
            ReadStateController,
            SearchController,
            FileController,
            gateway,
        ],
    )
    discord_api = discord_router(gateway_v10)  # /api/v10: the Discord-compatible facade
    cors = CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None
    track(container)
    app = Litestar(
        route_handlers=[
            api,
            discord_api,
            front_page,
            health,
            ready,
            create_static_files_router(
                path=DOCS_ASSETS,
                directories=[swagger_ui_path],
                include_in_schema=False,
                opt={PUBLIC: True},
                name="docs-assets",
            ),
            *([Metrics] if settings.metrics else []),
        ],
        dependencies={
            "container": Provide(provide_container, sync_to_thread=False, use_cache=True),
            "identity": Provide(provide_identity, sync_to_thread=False),
        },
        middleware=[auth_middleware({ScopeType.HTTP})],
        before_request=require_json_body,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(),
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        debug=False,
        logging_config=None,  # logging is configured once, by configure_logging
    )
    app.state.services = container.services  # what the HTTP handlers get
    app.state.gateway = container.gateway_state  # what the gateway gets
    app.state.container = container  # for tests and tools; handlers never read it
    document_errors(app)  # OpenAPI: the one error shape, public routes, exact id bounds
    document_files(app)  # OpenAPI: the file routes answer with bytes
    # Outside Litestar's own exception handling, so the access line sees the final status
    # of every request, including errors raised by middleware (401 from auth).
    app.asgi_handler = request_context_middleware(app.asgi_handler)
    return app


def create_served_app() -> Litestar:
    """The app as `concord serve` runs it (in each worker): settings and logging from the
    environment."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    slow_clients.configure(
        slow_clients.Deadlines(settings.header_timeout_s, settings.body_timeout_s)
    )
    app = create_app(settings)
    freeze_startup_objects()
    tune_collector()
    return app


def freeze_startup_objects() -> None:
    """Move what start-up built (modules, the app, the password list's sets, SQLAlchemy's
    metadata: ~185,000 tracked objects) out of the collector's reach. Left in, every full
    collection walks them all and stalls the event loop for tens of milliseconds (seen as the
    send path's largest single cost in a profile on PostgreSQL); they live as long as the
    process anyway. Served workers only: a test that builds many apps must not keep them."""
    gc.collect()
    gc.freeze()


COLLECTOR_THRESHOLDS = (50_000, 20, 10)
"""gc.set_threshold's: net container allocations between young collections (CPython's
default 700), young collections per middle one (10), middle ones per full one (10)."""


def tune_collector() -> None:
    """Collect the young generation after 50,000 net allocations instead of 700. A request,
    a gateway connection or a fan-out keeps thousands of objects alive for a few
    milliseconds; at 700 the collector ran every few hundred microseconds, found most of them
    still in use and promoted them, so full collections of the whole heap (tens of
    milliseconds each with 1,000 sockets, more with 10,000) came every second or two. With
    50,000 (bench, one run each): server CPU per fan-out delivery 17.4 us against 21.9 us,
    10,000 sockets identified in 20.0 s against 25.4 s; the price is the garbage that waits
    for the next collection (idle memory per socket 35 KB against 32 KB)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)

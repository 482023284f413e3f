"""/health (the process answers) and /ready (its database and broker answer)."""

from __future__ import annotations

import msgspec
from litestar import Response, get

from adapters.errors import BackendUnavailable

from .auth import PUBLIC
from .params import AppContainer


class HealthOut(msgspec.Struct):
    status: str


@get("/health", opt={PUBLIC: True}, security=[], tags=["operations"], sync_to_thread=False)
def health() -> HealthOut:
    return HealthOut(status="ok")


@get("/ready", opt={PUBLIC: True}, security=[], tags=["operations"])
async def ready(container: AppContainer) -> Response[HealthOut]:
    try:
        await container.check_ready()
    except BackendUnavailable as exc:
        return Response(HealthOut(status=f"unavailable: {exc}"), status_code=503)
    return Response(HealthOut(status="ready"))

"""/health (the process answers) and /ready (its database and broker answer)."""

from __future__ import annotations

import msgspec
from litestar import Response, get

from .auth import PUBLIC
from .errors import UNAVAILABLE_RETRY_AFTER as RETRY_AFTER_S
from .params import AppContainer


class HealthOut(msgspec.Struct, omit_defaults=True):
    status: str
    failing: list[str] = msgspec.field(default_factory=list)
    """Which backing services did not answer ("database", "redis"); details are logged."""
    rate_limits: str | None = None
    """/ready only: "shared" (Redis), "local" (embedded), or "fallback" (Redis unreachable:
    each instance enforces the limits on its own)."""


@get("/health", opt={PUBLIC: True}, security=[], tags=["operations"], sync_to_thread=False)
def health() -> HealthOut:
    return HealthOut(status="ok")


@get("/ready", opt={PUBLIC: True}, security=[], tags=["operations"])
async def ready(container: AppContainer) -> Response[HealthOut]:
    failing = await container.unavailable_backends()
    limits = container.rate_limit_mode()
    if failing:
        out = HealthOut(status="unavailable", failing=failing, rate_limits=limits)
        return Response(out, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    return Response(HealthOut(status="ready", rate_limits=limits))

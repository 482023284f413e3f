"""Shared parameter declarations: ids in paths and queries are 64-bit snowflakes."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, Parameter

from discord_core.errors import ValidationFailed
from discord_core.limits import AUDIT_REASON_MAX, SNOWFLAKE_MAX
from discord_core.usecases import Identity

from ..services import Services


def _id(description: str) -> Any:
    return Parameter(gt=0, le=SNOWFLAKE_MAX, description=description)


ServerId = Annotated[int, _id("A server id.")]
ChannelId = Annotated[int, _id("A channel id.")]
MessageId = Annotated[int, _id("A message id.")]
UserId = Annotated[int, _id("A user id.")]
InviteCode = Annotated[str, Parameter(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


AUDIT_REASON_HEADER = "X-Audit-Log-Reason"

ReasonHeader = Annotated[
    str | None,
    HeaderParameter(
        name=AUDIT_REASON_HEADER,
        required=False,
        max_length=AUDIT_REASON_MAX * 12,  # percent-encoded UTF-8 (checked again decoded)
        description="The reason recorded in the server's audit log: up to 512 characters, "
        "percent-encoded (UTF-8) if it is not plain ASCII.",
    ),
]


def audit_reason(header: str | None) -> str | None:
    """The X-Audit-Log-Reason header, percent-decoded (as Discord's); the core checks it."""
    if not header:
        return None
    try:
        return unquote(header, errors="strict")
    except UnicodeDecodeError:
        raise ValidationFailed(
            f"{AUDIT_REASON_HEADER} must be percent-encoded UTF-8.", field=AUDIT_REASON_HEADER
        ) from None


def provide_container(state: State) -> Services:
    services: AppContainer = state.services
    return services


AppContainer = NamedDependency[Services]
"""The use cases, ports and settings handlers are given (entrypoints/services.py), injected
into every handler as `container`. The composition root itself is never reachable from here."""
Caller = NamedDependency[Identity]
"""The authenticated caller (set by the bearer-auth middleware)."""

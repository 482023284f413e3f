"""Shared parameter declarations: ids in paths and queries are 64-bit snowflakes."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter

from discord_core.limits import SNOWFLAKE_MAX
from discord_core.usecases import Identity

from ..services import Services


def _id(description: str) -> Any:
    return Parameter(gt=0, le=SNOWFLAKE_MAX, description=description)


ServerId = Annotated[int, _id("A server id.")]
ChannelId = Annotated[int, _id("A channel id.")]
MessageId = Annotated[int, _id("A message id.")]
UserId = Annotated[int, _id("A user id.")]
InviteCode = Annotated[str, Parameter(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def provide_container(state: State) -> Services:
    services: AppContainer = state.services
    return services


AppContainer = NamedDependency[Services]
"""The use cases, ports and settings handlers are given (entrypoints/services.py), injected
into every handler as `container`. The composition root itself is never reachable from here."""
Caller = NamedDependency[Identity]
"""The authenticated caller (set by the bearer-auth middleware)."""

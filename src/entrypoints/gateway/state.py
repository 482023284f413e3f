"""What the gateway is given: the services every driving adapter gets, plus its own live state
on this instance (the hub of sessions and the open sockets). The composition root builds it
and connects the hub to the event bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..services import Services
from .hub import Hub
from .limits import GatewayLimits

if TYPE_CHECKING:
    from .connection import Connection


@dataclass(eq=False)
class GatewayState:
    services: Services
    hub: Hub
    limits: GatewayLimits
    """The per-user frame budgets of this instance and the shared IDENTIFY budget."""
    connections: set[Connection] = field(default_factory=set)
    """Live gateway connections on this instance."""

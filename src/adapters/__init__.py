"""Implementations of the core's ports (see `discord_core.ports`).

Sub-modules are imported on demand: `adapters.sql` (SQLAlchemy + Alembic), `adapters.security`
(argon2, PyJWT), `adapters.ids` (snowflakes), `adapters.clock`, `adapters.memory` (in-process
broker, presence, rate limits). Only the composition root builds them.
"""

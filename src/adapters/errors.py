"""Errors raised by adapters that are not domain errors.

The entrypoints map `BackendUnavailable` to 503 with Retry-After and `InvalidData` to 400.
"""

from __future__ import annotations


class BackendUnavailable(Exception):
    """A backing service (database, broker) cannot be reached or is restarting.

    The request did not complete; retrying later may succeed. Raised instead of the driver's own
    connection errors (refused, reset, timed out, PostgreSQL starting up or shutting down,
    SQLite busy past its timeout).
    """


class InvalidData(ValueError):
    """The database refused a value the core should have rejected first (a NUL character
    in text for PostgreSQL, an integer outside BIGINT). A bug upstream, never a 500 here."""


class BackendRefused(BackendUnavailable):
    """The backing service answers but refuses us for good: the database does not exist, the
    role does not exist, the password is wrong. Retrying will not help; the configuration
    (CHAT_DATABASE_URL) must change."""

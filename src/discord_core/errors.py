"""Domain errors. Each carries a stable machine-readable code and a human message.

Entrypoints map the class to a status code; the code and message go to the client as they are.
"""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class ValidationFailed(DomainError):
    """Input breaks a domain limit (length, format, range)."""

    code = "validation_failed"


class NotFound(DomainError):
    """The object does not exist, or the caller may not learn that it exists."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller is known and may see the object, but may not do this to it."""

    code = "forbidden"


class TimedOut(Forbidden):
    """The member is timed out in this server: they may read, not post, react or type."""

    code = "timed_out"

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"You are timed out in this server until {until.isoformat()}; you can read but "
            "not post, react or type until then."
        )


class Unauthorized(DomainError):
    """Credentials are missing, wrong, expired or revoked."""

    code = "unauthorized"


class Conflict(DomainError):
    """The request is well formed but clashes with current state (taken name, owner leaving)."""

    code = "conflict"


class LimitReached(DomainError):
    """A per-object quota (servers per user, channels per server) is full."""

    code = "limit_reached"


class PayloadTooLarge(DomainError):
    """An upload breaks a size or count limit (per file, per request, files per message)."""

    code = "payload_too_large"


class RateLimited(DomainError):
    """Too many requests; retry after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(
        self,
        retry_after: float,
        message: str | None = None,
        *,
        scope: str | None = None,
        is_global: bool = False,
    ) -> None:
        self.retry_after = max(0.0, retry_after)
        self.scope = scope
        """Whose budget ran out: "user", "global" (all of a user's requests), "shared", "ip"."""
        self.is_global = is_global
        super().__init__(message or f"Too many requests; retry after {self.retry_after:.2f} s.")


class DuplicateKey(Exception):
    """Raised by a repository when a unique constraint rejects a write.

    Not a DomainError: use cases catch it and turn it into the right answer
    (an idempotent replay or a Conflict).
    """

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class MissingParent(Exception):
    """Raised by a repository when a write refers to a row that is gone: a concurrent
    transaction deleted it (a foreign key rejected the write). Not a DomainError: the use case
    answers the same 404 as if the parent had been gone before."""

    def __init__(self, parent: str) -> None:
        super().__init__(parent)
        self.parent = parent


class TransactionConflict(Exception):
    """The database aborted a transaction because of a concurrent one (a deadlock, a
    serialization failure). `UnitOfWorkFactory.run` runs the work again; use cases never see
    it."""


class UnreadableImage(Exception):
    """Raised by the media port for bytes that are not an image it can decode (or that would
    decode to more pixels than allowed). Use cases turn it into a ValidationFailed."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


class StoredFileMissing(Exception):
    """Raised by file storage for a key that holds nothing."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

"""Log lines: one format for every logger (ours, uvicorn's, Litestar's), text for people or
JSON for collectors, each with the request id of the request it belongs to.

What no line may carry, at any level (docs/security.md): a query string (a careless client may
put a token there), a token, a password hash, an email, SQL parameters. So:
- every line is passed through `redact()` once formatted (message and traceback alike):
  query strings, JWTs, argon2 hashes and email addresses are replaced by a placeholder;
- the SQL drivers' and SQLAlchemy's loggers stay at WARNING (aiosqlite logs every statement
  with its parameters at DEBUG), and the engines hide parameters in their errors;
- the WebSocket library's protocol trace (headers and frames, at DEBUG) is dropped.

And INFO stays readable: one line per request and per socket (concord.access, when it ends),
uvicorn's lines under the name "uvicorn" (not "uvicorn.error"), none of uvicorn's per-socket
lines, none of Alembic's "Context impl" chatter.

Light on purpose (no web framework imported): the CLI configures logging before anything
else.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

request_id: ContextVar[str] = ContextVar("request_id", default="-")
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


# --- redaction -------------------------------------------------------------------------------

_QUERY = re.compile(r"(/[^\s?\"'\\]*)\?[^\s\"'\\]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BOT_TOKEN = re.compile(r"[MNO][A-Za-z0-9_-]{3,26}\.[A-Za-z0-9_-]{8,64}\.[A-Za-z0-9_-]{32,}")
"""A bot token (discord_core.bots: the base64 of a snowflake starts with M, N or O)."""
_ARGON2 = re.compile(r"\$argon2(?:id|i|d)\$[^\s\"')]+")
_EMAIL = re.compile(r"(?<![\w.+:/-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_HINTS: Final = ("?", "eyJ", "$argon2", "@")
QUERY_HIDDEN: Final = "?[query hidden]"


def redact(text: str) -> str:
    """The text without query strings, tokens, password hashes or email addresses."""
    if _BOT_TOKEN.search(text) is not None:
        text = _BOT_TOKEN.sub("[token hidden]", text)
    if not any(hint in text for hint in _HINTS):
        return text
    text = _QUERY.sub(lambda m: m.group(1) + QUERY_HIDDEN, text)
    text = _JWT.sub("[token hidden]", text)
    text = _ARGON2.sub("[hash hidden]", text)
    return _EMAIL.sub("[email hidden]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


# --- readable INFO ---------------------------------------------------------------------------

_UVICORN_QUIET: Final = frozenset(
    {
        "Waiting for application startup.",
        "Waiting for application shutdown.",
        "connection open",  # the WebSocket library, once per socket
        "connection closed",
        '%s - "WebSocket %s" [accepted]',  # concord.access has one line per socket
        '%s - "WebSocket %s" 403',
        '%s - "WebSocket %s" %d',
    }
)
_ALEMBIC_QUIET: Final = ("Context impl %s.", "Will assume %s DDL.")
_PROTOCOL_TRACE: Final = ("< ", "> ", "= ", "! ", "x ", "% ", "? ")
"""The WebSocket library's trace (headers, frames, state changes), logged at DEBUG on the
logger uvicorn gives it: headers and frames carry tokens and emails."""


class Tidy(logging.Filter):
    """Drops noise and names uvicorn's lines "uvicorn" (they are not errors)."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if name == "uvicorn.error":
            msg = record.msg if isinstance(record.msg, str) else ""
            if record.levelno <= logging.INFO and msg in _UVICORN_QUIET:
                return False
            if record.levelno <= logging.DEBUG and msg.startswith(_PROTOCOL_TRACE):
                return False
            record.name = "uvicorn"
        elif name == "alembic.runtime.migration" and record.msg in _ALEMBIC_QUIET:
            return False
        return True


QUIET_LOGGERS: Final = {
    # They log SQL with its parameters (emails, hashes, session ids) at INFO / DEBUG.
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    # Alembic announces each of its autogenerate plugins at INFO on every start.
    "alembic.runtime.plugins": logging.WARNING,
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(self._format(record))

    def _format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(level: str, fmt: str = "text") -> None:
    """Send every log line (ours, uvicorn's, Litestar's) to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(Tidy())
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "litestar"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # uvicorn's access log prints query strings and no request id; concord.access replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)

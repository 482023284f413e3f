"""Discord's error shape over Concord's error mapping: every error the v1 handlers know is
rendered by them first (status, stable code, message, field), then re-shaped as Discord's
`{"code": <number>, "message": ...}` (50035 Invalid Form Body adds `errors`; 429 adds
`retry_after` and `global`, with the `Via` header discord.py looks for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from litestar import Request, Response
from litestar.types import ExceptionHandlersMap

from ..http.errors import EXCEPTION_HANDLERS
from ..schemas import ErrorOut

JSON = dict[str, Any]

CODES: Final[dict[str, int]] = {
    "unknown_channel": 10003,
    "unknown_server": 10004,
    "unknown_invite": 10006,
    "unknown_member": 10007,
    "unknown_message": 10008,
    "unknown_user": 10013,
    "unknown_bot": 10013,
    "unknown_file": 10049,
    "unknown_emoji": 10014,
    "unknown_message_reference": 50035,
    "max_pins": 30003,
    "max_reactions": 30010,
    "too_many_servers": 30001,
    "too_many_channels": 30013,
    "too_many_invites": 30016,
    "too_many_bots": 30001,
    "not_author": 50005,
    "blocked": 50007,
    "self_dm": 50007,
    "missing_permission": 50013,
    "role_hierarchy": 50013,
    "owner_cannot_leave": 50055,
    "validation_failed": 50035,
    "invalid_body": 50035,
    "bad_request": 50035,
    "filter_not_supported": 50035,
    "empty_message": 50006,
    "payload_too_large": 40005,
    "not_supported": 0,
}
"""Concord's codes -> Discord's JSON error codes (docs/bots.md lists them)."""
MISSING_ACCESS: Final = 50001
STATUS_TEXT: Final = {
    400: "400: Bad Request",
    401: "401: Unauthorized",
    403: "403: Forbidden",
    404: "404: Not Found",
    405: "405: Method Not Allowed",
    429: "You are being rate limited.",
    500: "500: Internal Server Error",
    503: "503: Service Unavailable",
}


def discord_error(
    status: int,
    code: int,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[JSON]:
    body: JSON = {"message": message, "code": code}
    if code == 50035:
        key = field or "_errors"
        problem = {"code": "BASE_TYPE_INVALID", "message": message}
        body["errors"] = (
            {"_errors": [problem]} if key == "_errors" else {key: {"_errors": [problem]}}
        )
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _reshape(response: Response[Any]) -> Response[JSON]:
    error = response.content
    status = response.status_code or 500
    headers = dict(response.headers or {})
    if not isinstance(error, ErrorOut):
        return discord_error(status, 0, STATUS_TEXT.get(status, str(status)), headers=headers)
    if status == 429:
        headers["Via"] = "1.1 concord"  # discord.py treats a 429 without Via as a ban page
        body: JSON = {
            "message": STATUS_TEXT[429],
            "retry_after": error.retry_after or 1.0,
            "global": bool(error.is_global),
            "code": 0,
        }
        return Response(body, status_code=429, headers=headers, media_type="application/json")
    if status == 401:
        return discord_error(401, 0, STATUS_TEXT[401], headers=headers)
    code = CODES.get(error.code)
    if code is None:
        code = MISSING_ACCESS if status == 403 else 0
    return discord_error(status, code, error.message, field=error.field, headers=headers)


def _wrap(handler: Callable[..., Response[Any]]) -> Callable[..., Response[JSON]]:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[JSON]:
        return _reshape(handler(request, exc))

    return handle


DISCORD_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    kind: _wrap(handler) for kind, handler in EXCEPTION_HANDLERS.items()
}

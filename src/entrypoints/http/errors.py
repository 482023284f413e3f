"""One error shape for everything: domain errors, validation, auth, 404, 413, 429, 503, 500."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from adapters.errors import BackendUnavailable
from discord_core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)

from ..schemas import ErrorOut

log = logging.getLogger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    LimitReached: 409,
    RateLimited: 429,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}

UNAVAILABLE_RETRY_AFTER = 2


def error_response(
    status: int, body: ErrorOut, headers: dict[str, str] | None = None
) -> Response[ErrorOut]:
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 400


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[ErrorOut]:
    body = ErrorOut(code=exc.code, message=exc.message, field=exc.field)
    headers = None
    if isinstance(exc, RateLimited):
        body.retry_after = round(exc.retry_after, 3)
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return error_response(_status_for(exc), body, headers)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorOut]:
    """Litestar's parsing errors (body, query, path): name the first offending field."""
    field, message = _first_problem(exc)
    code = "validation_failed" if field else "bad_request"
    return error_response(400, ErrorOut(code=code, message=message, field=field))


_AT_FIELD = re.compile(r"\s*-\s*at `\$\.([A-Za-z_]\w*)[^`]*`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def _body_problem(message: str) -> tuple[str | None, str]:
    """Name the field in a msgspec decoding message and make the message plain."""
    if match := _MISSING.search(message):
        return match.group(1), f"{match.group(1)} is required."
    if match := _UNKNOWN.search(message):
        return match.group(1), f"{match.group(1)} is not a known field."
    if match := _AT_FIELD.search(message):
        field = match.group(1)
        return field, f"{field}: {_AT_FIELD.sub('', message)}"
    return None, message


def _first_problem(exc: ValidationException) -> tuple[str | None, str]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        message = str(item.get("message") or exc.detail)
        field, plain = _body_problem(message)
        if field is not None:
            return field, plain
        if key and key != "data":
            return str(key), f"{key}: {message}"
        return None, message
    return None, str(exc.detail or "Bad request.")


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorOut]:
    status = exc.status_code
    code = HTTP_CODES.get(status, "error" if status < 500 else "internal_error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ").capitalize() + "."
    if status == 404:
        message = "Not found."
    headers = dict(exc.headers or {})
    return error_response(status, ErrorOut(code=code, message=message), headers or None)


def backend_unavailable(_: Request[Any, Any, Any], exc: BackendUnavailable) -> Response[ErrorOut]:
    log.warning("backend unavailable: %s", exc)
    body = ErrorOut(
        code="service_unavailable",
        message="A backing service is unavailable; try again shortly.",
        retry_after=UNAVAILABLE_RETRY_AFTER,
    )
    return error_response(503, body, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorOut]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = ErrorOut(code="internal_error", message="Something went wrong on our side.")
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, body)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    BackendUnavailable: backend_unavailable,
    Exception: internal_error,
}

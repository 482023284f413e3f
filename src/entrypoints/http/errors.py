"""One error shape for everything: domain errors, validation, auth, 404, 413, 429, 503, 500."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from adapters.errors import BackendUnavailable, InvalidData
from discord_core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LimitReached,
    MissingParent,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    TimedOut,
    TransactionConflict,
    Unauthorized,
    ValidationFailed,
)
from discord_core.limits import SNOWFLAKE_MAX

from ..schemas import ErrorOut
from .bodies import refuse_duplicate_keys, shorten
from .uploads import ClientGone

log = logging.getLogger(__name__)

DOMAIN_STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    LimitReached: 409,
    PayloadTooLarge: 413,
    RateLimited: 429,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
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
        body.is_global = exc.is_global
        body.scope = exc.scope or "user"
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    elif isinstance(exc, TimedOut):
        body.communication_disabled_until = exc.until
    return error_response(_status_for(exc), body, headers)


MESSAGE_ECHO_MAX = 300
BODY_MISSING = "The request body is missing; send a JSON object."


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorOut]:
    """Litestar's parsing errors (body, query, path): name the first offending field. What
    the client sent is echoed only in part (field names up to 64 characters, messages up to
    300), so a huge key cannot make a huge error."""
    field, message = _first_problem(exc)
    code = "validation_failed" if field else "bad_request"
    body = ErrorOut(
        code=code,
        message=shorten(message, MESSAGE_ECHO_MAX),
        field=shorten(field) if field is not None else None,
    )
    return error_response(400, body)


_AT_FIELD = re.compile(r"\s*-\s*at `\$\.([A-Za-z_]\w*)[^`]*`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def body_problem(message: str) -> tuple[str | None, str]:
    """Name the field in a msgspec decoding message and make the message plain."""
    if match := _MISSING.search(message):
        return match.group(1), f"{match.group(1)} is required."
    if match := _UNKNOWN.search(message):
        return match.group(1), f"{shorten(match.group(1))} is not a known field."
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
        if key == "data" and (message == "'data'" or "missing required field `data`" in message):
            return None, BODY_MISSING  # the handler's body parameter, not a field in it
        field, plain = body_problem(message)
        if field is not None:
            return field, plain
        if key and key != "data":
            return str(key), f"{shorten(str(key))}: {message}"
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


def invalid_data(_: Request[Any, Any, Any], exc: InvalidData) -> Response[ErrorOut]:
    """A value the database refuses that validation let through: bad input, not a bug."""
    log.warning("%s", exc)  # the database's wording stays in the log
    body = ErrorOut(code="validation_failed", message="A value in the request is not valid.")
    return error_response(400, body)


def missing_parent(_: Request[Any, Any, Any], exc: MissingParent) -> Response[ErrorOut]:
    """A write to something a concurrent request deleted that no use case answered itself:
    gone is gone, whatever the timing (use cases answer their own 404 first)."""
    log.info("write to a deleted parent (%s)", exc)
    return error_response(404, ErrorOut(code="not_found", message="Not found."))


def transaction_conflict(_: Request[Any, Any, Any], exc: TransactionConflict) -> Response[ErrorOut]:
    """A conflict outside UnitOfWorkFactory.run (which retries them): try again."""
    log.warning("transaction conflict: %s", exc)
    body = ErrorOut(code="conflict", message="Too many concurrent changes; try again.")
    return error_response(409, body)


def undecodable_body(_: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[ErrorOut]:
    """A JSON body that is not UTF-8 is bad input, not a bug."""
    return error_response(400, ErrorOut(code="bad_request", message="The body is not valid UTF-8."))


def too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[ErrorOut]:
    """msgspec refuses JSON nested deeper than it can decode: bad input, not a bug."""
    if "deserializ" in str(exc):
        body = ErrorOut(code="bad_request", message="The JSON body is nested too deeply.")
        return error_response(400, body)
    return internal_error(request, exc)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MULTIPART = "multipart"
"""Route opt: the route also takes multipart/form-data (it reads the body itself)."""


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """A request body must be JSON (415 otherwise), or multipart/form-data on routes that
    take files; bodiless requests need no content type."""
    if request.method not in _BODY_METHODS:
        return
    headers = request.headers
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if not has_body:
        return
    if media_type == "multipart/form-data" and request.route_handler.opt.get(MULTIPART):
        return  # the handler streams it (http/uploads.py)
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            status_code=415, detail="Send the body as JSON with Content-Type: application/json."
        )
    refuse_duplicate_keys(await request.body())


def client_gone(request: Request[Any, Any, Any], exc: ClientGone) -> Response[ErrorOut]:
    """The client disconnected mid-upload: nothing was stored, nobody reads this answer."""
    log.info("client left during an upload to %s", request.url.path)
    body = ErrorOut(code="bad_request", message="The request body was not complete.")
    return error_response(400, body)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorOut]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = ErrorOut(code="internal_error", message="Something went wrong on our side.")
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, body)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ClientGone: client_gone,
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    BackendUnavailable: backend_unavailable,
    InvalidData: invalid_data,
    MissingParent: missing_parent,
    TransactionConflict: transaction_conflict,
    UnicodeDecodeError: undecodable_body,
    RecursionError: too_deep,
    Exception: internal_error,
}


# --- the error responses in the OpenAPI schema ------------------------------------------------

ERROR_SCHEMA = "Error"
_ERROR_REF = Reference(ref=f"#/components/schemas/{ERROR_SCHEMA}")
_RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    description="Seconds to wait before trying again (the body's retry_after, rounded up).",
)
_ERROR_STATUSES: dict[str, str] = {
    "400": "Bad input: malformed JSON, a wrong type, a broken limit (`field` says which).",
    "401": "No token, or a malformed, forged, expired or revoked one.",
    "403": "Your role does not allow this.",
    "404": "Unknown, or not visible to you (a non-member cannot tell a server exists).",
    "409": "Clashes with the current state, or a quota is full.",
    "413": "The request body is over the size cap (or an upload over a file limit).",
    "429": "Rate limited: wait `retry_after` seconds (also the Retry-After header).",
    "503": "The database or Redis is unreachable; retry after Retry-After.",
    "default": "Any other error, in the same shape.",
}
_PUBLIC_STATUSES = ("400", "401", "409", "413", "429", "503", "default")
_PRIVATE_STATUSES = ("400", "401", "403", "404", "409", "413", "429", "503", "default")


def _error_schema() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["code", "message"],
        properties={
            "code": Schema(type=OpenAPIType.STRING, description="Stable, machine-readable."),
            "message": Schema(type=OpenAPIType.STRING, description="For people."),
            "field": Schema(type=OpenAPIType.STRING, description="The offending input."),
            "retry_after": Schema(
                type=OpenAPIType.NUMBER, minimum=0, description="Seconds (429 and 503 only)."
            ),
            "global": Schema(
                type=OpenAPIType.BOOLEAN,
                description="429 only: the per-user budget of all routes ran out.",
            ),
            "scope": Schema(
                type=OpenAPIType.STRING,
                enum=["user", "global", "shared", "ip"],
                description="429 only: whose budget ran out.",
            ),
        },
        additional_properties=False,
        description="The one error shape of every failed request.",
    )


def _header(kind: OpenAPIType, description: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=Schema(type=kind), description=description)


_RATE_HEADERS = {
    "X-RateLimit-Limit": _header(OpenAPIType.INTEGER, "Requests the budget allows at once."),
    "X-RateLimit-Remaining": _header(OpenAPIType.INTEGER, "Requests left now."),
    "X-RateLimit-Reset": _header(OpenAPIType.STRING, "Epoch seconds when it is whole again."),
    "X-RateLimit-Reset-After": _header(OpenAPIType.STRING, "Seconds until it is whole again."),
    "X-RateLimit-Bucket": _header(OpenAPIType.STRING, "The rule's name."),
    "X-RateLimit-Scope": _header(OpenAPIType.STRING, "user, global, shared or ip."),
    "X-RateLimit-Global": _header(OpenAPIType.STRING, "true for the all-routes budget."),
}


def _error_response(status: str) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader] | None = None
    if status == "429":
        headers = {"Retry-After": _RETRY_AFTER, **_RATE_HEADERS}
    elif status == "503":
        headers = {"Retry-After": _RETRY_AFTER}
    return OpenAPIResponse(
        description=_ERROR_STATUSES[status],
        headers=headers,  # type: ignore[arg-type]
        content={"application/json": OpenAPIMediaType(schema=_ERROR_REF)},
    )


def _public_operations(app: Litestar) -> set[tuple[str, str]]:
    public: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("public"):
                public.update((route.path_format, m.lower()) for m in handler.http_methods)
    return public


def _exact_id_bounds(schema: Any) -> None:
    """Litestar writes `le=2**63 - 1` as a float (2**63), which admits one id too many."""
    maximum = schema.maximum if isinstance(schema, Schema) else None
    if isinstance(maximum, float) and maximum >= SNOWFLAKE_MAX:
        schema.maximum = SNOWFLAKE_MAX


def _document_readiness(path: str, operation: Operation) -> None:
    responses = operation.responses or {}
    ok = responses.get("200")
    if path == "/ready" and isinstance(ok, OpenAPIResponse):
        responses["503"] = OpenAPIResponse(
            description="The database or Redis does not answer.", content=ok.content
        )
        operation.responses = responses


def document_errors(app: Litestar) -> None:
    """Make the served OpenAPI schema tell the truth about failures: every operation answers
    errors in the one `Error` shape (not Litestar's default validation shape), public routes
    need no token, and id parameters stop at 2**63 - 1. Call once, after the app is built."""
    openapi = app.openapi_schema
    public = _public_operations(app)
    components = openapi.components
    components.schemas = {**(components.schemas or {}), ERROR_SCHEMA: _error_schema()}
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            is_public = (path, method) in public
            if is_public:
                operation.security = []
            if not path.startswith("/api/"):  # /health and /ready answer in their own shape
                _document_readiness(path, operation)
                continue
            statuses = _PUBLIC_STATUSES if is_public else _PRIVATE_STATUSES
            responses = dict(operation.responses or {})
            for status in statuses:
                if status == "413" and operation.request_body is None:
                    continue
                responses[status] = _error_response(status)
            operation.responses = responses
            for parameter in operation.parameters or []:
                _exact_id_bounds(getattr(parameter, "schema", None))

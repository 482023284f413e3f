"""JSON request bodies: duplicate keys are refused (400 `invalid_body`), not "last one wins".

msgspec (which decodes bodies) keeps the last of two equal keys, as most JSON parsers do, so a
proxy or a log that reads the first would see another request than the handler. The check is
cheap for the usual body (a flat object whose keys appear once in the text): one msgspec
decode and a `bytes.count` per key; anything else (nested objects, escapes in the text, a key
name that also appears elsewhere) is checked exactly by the standard library's parser.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from discord_core.errors import ValidationFailed

FIELD_ECHO_MAX = 64
"""How much of a client's field name an error repeats (a 60 KB key is not echoed whole)."""

_SCALARS = (str, int, float, bool, type(None))


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def shorten(text: str, limit: int = FIELD_ECHO_MAX) -> str:
    """The start of `text`, marked as cut when it was longer than `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def _surely_unique(body: bytes, data: Any) -> bool:
    """True when no key can be repeated: a flat object whose every key appears once in the
    text (an escape could spell a key differently, so any backslash sends it to the exact
    check)."""
    if not isinstance(data, dict) or b"\\" in body:
        return False
    for key, value in data.items():
        if not isinstance(value, _SCALARS):
            return False
        if body.count(b'"' + key.encode() + b'"') != 1:
            return False
    return True


def duplicate_key(body: bytes) -> str | None:
    """The first key that appears twice in one object of this JSON text, if any. Malformed
    JSON is not this check's business (the handler's decoder answers 400)."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict | list) or _surely_unique(body, data):
        return None
    try:
        json.loads(body, object_pairs_hook=_pairs_without_duplicates)
    except DuplicateKey as exc:
        return exc.key
    except (ValueError, RecursionError):
        return None
    return None


def refuse_duplicate_keys(body: bytes) -> None:
    key = duplicate_key(body)
    if key is not None:
        raise ValidationFailed(
            f"{shorten(key)} appears more than once in the body; send each field once.",
            code="invalid_body",
            field=shorten(key),
        )

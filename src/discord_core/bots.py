"""Bot tokens: what they look like, and how they are kept (hashed, never stored).

A bot token has Discord's three-part shape, `<user id, base64url>.<token id>.<secret>`:
the first part names the bot (so the check reads one row), the second the token (a rotation
gives a new one, and revoking it closes that token's gateway sessions), the third is 256 bits
of randomness. Only the SHA-256 of the whole token is stored: a secret that long needs no slow
hash, and a copy of the database gives nobody a working token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from .model import Snowflake

_ID_PART = re.compile(r"^[A-Za-z0-9_-]{1,27}$")
_TOKEN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
MAX_TOKEN_LENGTH = 256


def make_token(user_id: Snowflake, token_id: str, secret: str) -> str:
    encoded = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{encoded}.{token_id}.{secret}"


def parse_token(token: str) -> tuple[Snowflake, str] | None:
    """(bot user id, token id) when `token` has a bot token's shape, else None (it may be a
    user's token). Says nothing about whether it is valid: compare `hash_token` with the
    stored hash for that."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        return None
    id_part, token_id, secret = token.split(".")
    if not (_ID_PART.match(id_part) and _TOKEN_ID.match(token_id) and _SECRET.match(secret)):
        return None
    try:
        digits = base64.urlsafe_b64decode(id_part + "=" * (-len(id_part) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    if not digits.isdigit() or len(digits) > 19 or digits.startswith("0"):
        return None
    user_id = int(digits)
    if user_id >= 2**63:
        return None
    return user_id, token_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """In constant time."""
    return hmac.compare_digest(hash_token(token), stored_hash)

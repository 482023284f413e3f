"""Password hashing (argon2-cffi) and bearer tokens (PyJWT): the PasswordHasher and
TokenService ports."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Final

import argon2
import jwt
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from discord_core.errors import Unauthorized
from discord_core.model import AuthSession
from discord_core.ports import TokenClaims

MIN_SECRET_BYTES: Final = 32
# RFC 7518 3.2: an HMAC key at least as long as the hash output.
HMAC_KEY_BYTES: Final = {"HS256": 32, "HS384": 48, "HS512": 64}
REQUIRED_CLAIMS: Final = ("exp", "iat", "sub", "sid", "iss")
INVALID_TOKEN: Final = "This token is invalid or has expired."


class Argon2PasswordHasher:
    """argon2id with RFC 9106's second recommended parameter set by default.

    Hashing and verifying take 100+ ms of CPU each, so they run in a worker thread
    (`asyncio.to_thread`) and never stall the event loop.
    """

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify_sync, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True

    def _verify_sync(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            # Unknown account: do the same work against a hash with the same parameters, so
            # the answer takes as long as for a wrong password.
            self._verify_quietly(self._get_dummy_hash(), password)
            return False
        return self._verify_quietly(password_hash, password)

    def _verify_quietly(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _get_dummy_hash(self) -> str:
        # Made on first use (in the worker thread), not in __init__: building a hasher stays free.
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
            return self._dummy_hash


class JwtTokenService:
    """HMAC-signed JWTs whose claims name the user (`sub`) and the auth session (`sid`).

    Decoding pins the algorithm and the issuer and requires exp, iat, sub, sid and iss, so
    `alg: none`, another key, a tampered payload or a missing claim are all refused.
    """

    def __init__(
        self, secret: bytes | str, *, algorithm: str = "HS256", issuer: str = "concord"
    ) -> None:
        if algorithm not in HMAC_KEY_BYTES:
            raise ValueError(f"algorithm must be one of {sorted(HMAC_KEY_BYTES)}")
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        minimum = max(MIN_SECRET_BYTES, HMAC_KEY_BYTES[algorithm])
        if len(key) < minimum:
            raise ValueError(
                f"the token secret must be at least {minimum} bytes long for {algorithm}"
            )
        self._key = key
        self._algorithm = algorithm
        self._issuer = issuer

    def issue(self, session: AuthSession) -> str:
        payload = {
            "sub": str(session.user_id),
            "sid": session.id,
            "iss": self._issuer,
            "iat": int(time.time()),
            "exp": int(session.expires_at.timestamp()),
        }
        return jwt.encode(payload, self._key, algorithm=self._algorithm)

    def decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                issuer=self._issuer,
                options={"require": list(REQUIRED_CLAIMS)},
            )
            sub, sid, exp = claims["sub"], claims["sid"], claims["exp"]
            if not isinstance(sid, str) or not sid or not isinstance(sub, str):
                raise ValueError("bad claim types")
            if not (sub.isascii() and sub.isdigit()):
                raise ValueError("sub is not a user id")
            user_id = int(sub)
            if not 0 < user_id < 2**63 or not isinstance(exp, int | float):
                raise ValueError("bad claim values")
            expires_at = datetime.fromtimestamp(exp, UTC)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
            raise Unauthorized(INVALID_TOKEN, code="invalid_token") from exc
        return TokenClaims(user_id=user_id, session_id=sid, expires_at=expires_at)

"""argon2 password hashing, JWT tokens and snowflake ids: the real libraries, no fakes."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from adapters.clock import SystemClock
from adapters.ids import (
    EPOCH_MS,
    MAX_SEQUENCE,
    SnowflakeGenerator,
    snowflake_sequence,
    snowflake_time,
    snowflake_worker,
)
from adapters.security import Argon2PasswordHasher, JwtTokenService
from discord_core.errors import Unauthorized
from discord_core.model import AuthSession

# --- passwords ---------------------------------------------------------------------------------

FAST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(**FAST)


async def test_hash_round_trip(hasher: Argon2PasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert await hasher.hash("correct horse battery staple") != stored  # salted
    assert await hasher.verify(stored, "correct horse battery staple") is True
    assert await hasher.verify(stored, "correct horse battery stapler") is False
    assert await hasher.verify(stored, "") is False
    assert await hasher.verify("not a hash", "whatever") is False
    assert hasher.needs_rehash(stored) is False


async def test_unknown_account_takes_the_same_path(hasher: Argon2PasswordHasher) -> None:
    assert await hasher.verify(None, "anything") is False
    assert await hasher.verify(None, "") is False


async def test_verify_none_costs_as_much_as_a_wrong_password() -> None:
    """Unknown accounts are verified against a hash of the same parameters."""
    hasher = Argon2PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    stored = await hasher.hash("password1")
    await hasher.verify(None, "warm-up")  # builds the dummy hash once

    async def timed(password_hash: str | None) -> float:
        started = time.perf_counter()
        for _ in range(5):
            await hasher.verify(password_hash, "wrong password")
        return time.perf_counter() - started

    wrong, unknown = await timed(stored), await timed(None)
    # Not a benchmark: only that the unknown account did real argon2 work of the same size
    # (an early return would be ~1000x faster).
    assert unknown > wrong / 4


async def test_needs_rehash_when_parameters_change(hasher: Argon2PasswordHasher) -> None:
    old = await hasher.hash("password1")
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert stronger.needs_rehash(old) is True
    assert await stronger.verify(old, "password1") is True  # old hashes still verify
    assert stronger.needs_rehash(await stronger.hash("password1")) is False
    assert hasher.needs_rehash("garbage") is True


async def test_hashing_runs_off_the_event_loop() -> None:
    """With the default (RFC 9106) parameters a hash takes 100+ ms; the loop keeps ticking."""
    hasher = Argon2PasswordHasher()
    ticks = 0
    done = asyncio.Event()
    loop_threads: set[int] = set()

    async def ticker() -> None:
        nonlocal ticks
        loop_threads.add(threading.get_ident())
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0
    stored = await hasher.hash("password1")
    assert await hasher.verify(stored, "password1")
    assert not await hasher.verify(None, "password1")
    done.set()
    await task
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert ticks >= 5, f"the event loop ticked only {ticks} times during 4 argon2 runs"


# --- tokens ------------------------------------------------------------------------------------

SECRET = "s" * 32
NOW = datetime.now(UTC).replace(microsecond=0)


def session(expires_in: timedelta = timedelta(hours=1)) -> AuthSession:
    return AuthSession("sess-123", 424242, NOW, NOW + expires_in)


def forge(payload: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def claims(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "sub": "424242",
        "sid": "sess-123",
        "iss": "concord",
        "iat": int(time.time()),
        "exp": int(time.time()) + 3600,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def assert_refused(tokens: JwtTokenService, token: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        tokens.decode(token)
    assert caught.value.code == "invalid_token"


def test_token_round_trip() -> None:
    tokens = JwtTokenService(SECRET)
    token = tokens.issue(session())
    decoded = tokens.decode(token)
    assert decoded.user_id == 424242
    assert decoded.session_id == "sess-123"
    assert decoded.expires_at == NOW + timedelta(hours=1)
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="concord")
    assert payload["sub"] == "424242"  # the id travels as a string
    assert set(payload) == {"sub", "sid", "iss", "iat", "exp"}
    assert JwtTokenService(SECRET.encode()).decode(token) == decoded


def test_alg_none_is_refused() -> None:
    tokens = JwtTokenService(SECRET)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    assert_refused(tokens, f"{header}.{body}.")
    assert_refused(tokens, forge(claims(), key="", algorithm="none"))


def test_other_algorithm_is_refused() -> None:
    tokens = JwtTokenService(SECRET)
    assert_refused(tokens, forge(claims(), key=SECRET * 2, algorithm="HS512"))
    strong = JwtTokenService(SECRET * 2, algorithm="HS512")
    assert strong.decode(strong.issue(session())).user_id == 424242
    assert_refused(tokens, strong.issue(session()))


def test_wrong_key_is_refused() -> None:
    tokens = JwtTokenService(SECRET)
    other = JwtTokenService("o" * 32)
    assert_refused(tokens, other.issue(session()))


def test_tampered_payload_is_refused() -> None:
    tokens = JwtTokenService(SECRET)
    header, _, signature = tokens.issue(session()).split(".")
    evil = claims(sub="1")
    body = base64.urlsafe_b64encode(json.dumps(evil).encode()).rstrip(b"=").decode()
    assert_refused(tokens, f"{header}.{body}.{signature}")
    token = tokens.issue(session())
    assert_refused(tokens, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_expired_token_is_refused() -> None:
    tokens = JwtTokenService(SECRET)
    assert_refused(tokens, tokens.issue(session(expires_in=timedelta(seconds=-1))))
    assert_refused(tokens, forge(claims(exp=int(time.time()) - 10)))


@pytest.mark.parametrize("missing", ["exp", "iat", "sid", "sub", "iss"])
def test_missing_claims_are_refused(missing: str) -> None:
    tokens = JwtTokenService(SECRET)
    assert_refused(tokens, forge(claims(**{missing: None})))


@pytest.mark.parametrize(
    "bad",
    [
        {"iss": "someone-else"},
        {"sub": "not-a-number"},
        {"sub": 424242},
        {"sub": " 42"},
        {"sub": "0"},
        {"sub": str(2**63)},
        {"sid": ""},
        {"sid": 12},
        {"iat": int(time.time()) + 3600},
    ],
)
def test_malformed_claims_are_refused(bad: dict[str, Any]) -> None:
    assert_refused(JwtTokenService(SECRET), forge(claims(**bad)))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "...", "Bearer x", "\x00" * 10])
def test_garbage_is_refused(garbage: str) -> None:
    assert_refused(JwtTokenService(SECRET), garbage)


def test_short_secrets_and_non_hmac_algorithms_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenService("x" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenService(b"x" * 16)
    with pytest.raises(ValueError, match="algorithm"):
        JwtTokenService(SECRET, algorithm="none")
    with pytest.raises(ValueError, match="algorithm"):
        JwtTokenService(SECRET, algorithm="RS256")
    with pytest.raises(ValueError, match="64 bytes"):
        JwtTokenService(SECRET, algorithm="HS512")
    JwtTokenService("é" * 16)  # 32 bytes of UTF-8


# --- snowflakes --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, ms: int) -> None:
        self.ms = ms
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.ms


def test_snowflakes_unique_and_increasing() -> None:
    generator = SnowflakeGenerator(7)
    ids = [generator.next_id() for _ in range(100_000)]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert all(0 < i < 2**63 for i in ids)
    assert {snowflake_worker(i) for i in ids} == {7}
    assert abs(snowflake_time(ids[-1]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_snowflakes_from_threads_are_unique() -> None:
    generator = SnowflakeGenerator(1)
    results: list[list[int]] = [[] for _ in range(4)]

    def work(out: list[int]) -> None:
        out.extend(generator.next_id() for _ in range(20_000))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for out in results for i in out]
    assert len(set(everything)) == 80_000
    assert all(out == sorted(out) for out in results)


def test_snowflake_layout() -> None:
    clock = FakeClock(EPOCH_MS + 123_456)
    generator = SnowflakeGenerator(1023, clock_ms=clock)
    first, second = generator.next_id(), generator.next_id()
    assert first == (123_456 << 22) | (1023 << 12) | 0
    assert second == first + 1
    assert snowflake_worker(first) == 1023
    assert snowflake_sequence(second) == 1
    assert snowflake_time(first) == datetime(2025, 1, 1, tzinfo=UTC) + timedelta(
        milliseconds=123_456
    )
    assert EPOCH_MS == 1_735_689_600_000
    assert SnowflakeGenerator(0, clock_ms=FakeClock(EPOCH_MS)).next_id() == 0 << 22


def test_worker_ids_do_not_collide() -> None:
    clock = FakeClock(EPOCH_MS + 1000)
    a = SnowflakeGenerator(1, clock_ms=clock)
    b = SnowflakeGenerator(2, clock_ms=clock)
    ids_a = {a.next_id() for _ in range(1000)}
    ids_b = {b.next_id() for _ in range(1000)}
    assert not ids_a & ids_b


def test_clock_stepping_back_never_reuses_an_id() -> None:
    clock = FakeClock(EPOCH_MS + 10_000)
    generator = SnowflakeGenerator(3, clock_ms=clock)
    before = [generator.next_id() for _ in range(10)]
    clock.ms -= 5_000  # NTP steps the clock back five seconds
    during = [generator.next_id() for _ in range(10)]
    clock.ms += 5_000 + 1
    after = [generator.next_id() for _ in range(10)]
    ids = before + during + after
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    # while the clock was behind, ids kept the last timestamp and went on counting
    assert {i >> 22 for i in during} == {10_000}
    assert after[0] >> 22 == 10_001


def test_sequence_overflow_waits_for_the_next_millisecond() -> None:
    class Advancing(FakeClock):
        def __call__(self) -> int:
            self.calls += 1
            if self.calls > MAX_SEQUENCE + 3:  # the clock moves on while we wait
                return self.ms + 1
            return self.ms

    clock = Advancing(EPOCH_MS + 50)
    generator = SnowflakeGenerator(0, clock_ms=clock)
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 2)]
    assert ids == sorted(set(ids))
    assert ids[MAX_SEQUENCE] >> 22 == 50
    assert snowflake_sequence(ids[MAX_SEQUENCE]) == MAX_SEQUENCE
    assert ids[MAX_SEQUENCE + 1] >> 22 == 51
    assert snowflake_sequence(ids[MAX_SEQUENCE + 1]) == 0


def test_sequence_overflow_while_the_clock_is_behind_borrows_a_millisecond() -> None:
    clock = FakeClock(EPOCH_MS + 500)
    generator = SnowflakeGenerator(0, clock_ms=clock)
    generator.next_id()
    clock.ms -= 100
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 5)]  # never waits
    assert ids == sorted(set(ids))
    assert ids[-1] >> 22 == 501


def test_bad_worker_ids_and_clocks() -> None:
    with pytest.raises(ValueError, match="worker_id"):
        SnowflakeGenerator(1024)
    with pytest.raises(ValueError, match="worker_id"):
        SnowflakeGenerator(-1)
    with pytest.raises(RuntimeError, match="epoch"):
        SnowflakeGenerator(0, clock_ms=FakeClock(EPOCH_MS - 1)).next_id()


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)

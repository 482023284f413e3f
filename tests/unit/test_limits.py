"""Every domain limit at its edges: exactly min, min - 1, max, max + 1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from discord_core import limits
from discord_core.errors import ValidationFailed


def refused(validator: Callable[..., Any], *args: Any, field: str, **kwargs: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        validator(*args, **kwargs)
    assert info.value.code == "validation_failed"
    assert info.value.field == field


def test_the_limits_are_discords() -> None:
    assert (limits.USERNAME_MIN, limits.USERNAME_MAX) == (2, 32)
    assert (limits.MESSAGE_MAX, limits.NONCE_MAX) == (2000, 25)
    assert (limits.SERVER_NAME_MAX, limits.CHANNEL_NAME_MAX) == (100, 100)
    assert (limits.PAGE_LIMIT_DEFAULT, limits.PAGE_LIMIT_MAX) == (50, 100)
    assert limits.SNOWFLAKE_MAX == 2**63 - 1


# --- usernames --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ab", "ab"),
        ("a" * 32, "a" * 32),
        ("  Ab  ", "ab"),
        ("ALICE", "alice"),
        ("a.b_c.9", "a.b_c.9"),
        ("_.", "_."),
        ("\u212a" * 2, "kk"),  # KELVIN SIGN folds to ASCII k: same account as "kk"
    ],
)
def test_username_accepted_and_folded(raw: str, stored: str) -> None:
    assert limits.username(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "a",  # min - 1
        "a" * 33,  # max + 1
        "  a  ",  # one character after stripping
        "",
        "a..b",
        "..",
        "a-b",
        "a b",
        "a@b",
        "ünï",
        "a\x00b",
        "ab\u200b",  # zero-width space
        "a\ud800b",
        "ab\n\nc",
    ],
)
def test_username_refused(raw: str) -> None:
    refused(limits.username, raw, field="username")


# --- emails -----------------------------------------------------------------------------------


def test_email_length_edges() -> None:
    local = "a" * 64
    domain_254 = "b" * (254 - len(local) - 1 - 4) + ".com"
    assert len(f"{local}@{domain_254}") == 254
    assert limits.email(f"{local}@{domain_254}") == f"{local}@{domain_254}"
    refused(limits.email, f"{local}@b{domain_254}", field="email")  # 255


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("a@b.co", "a@b.co"),
        (" Ann@Example.COM ", "ann@example.com"),
        ("a+tag@x.y.z", "a+tag@x.y.z"),
    ],
)
def test_email_accepted_and_folded(raw: str, stored: str) -> None:
    assert limits.email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "a",
        "a@b",
        "@b.co",
        "a@b.co@",
        "a@@b.co",
        "a b@c.co",
        "a@b.co\nx",
        "a\x00@b.co",
        "a\ud800@b.co",
        "a@b\x07.co",
    ],
)
def test_email_refused(raw: str) -> None:
    refused(limits.email, raw, field="email")


# --- passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["x" * 8, "x" * 128, "  a     ", " pass word ", "tab\tand\nnl", "\U0001f600" * 8]
)
def test_password_accepted_unchanged(raw: str) -> None:
    assert limits.password(raw) == raw  # never stripped


@pytest.mark.parametrize(
    "raw",
    ["x" * 7, "x" * 129, "", "1234567\x00", "abcdefg\ud800", "\udfff" * 10, " " * 8, "\t\n " * 4],
)
def test_password_refused(raw: str) -> None:
    refused(limits.password, raw, field="password")


# --- names, descriptions, topics, messages ------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "field", "low", "high", "multiline"),
    [
        (limits.server_name, "name", 1, 100, False),
        (limits.channel_name, "name", 1, 100, False),
        (limits.server_description, "description", 0, 1000, True),
        (limits.channel_topic, "topic", 0, 1024, True),
        (limits.message_content, "content", 1, 2000, True),
    ],
)
def test_text_limits(
    validator: Callable[[str], str], field: str, low: int, high: int, multiline: bool
) -> None:
    assert validator("x" * low) == "x" * low
    assert validator("x" * high) == "x" * high
    assert validator(f"  {'x' * high}\n ") == "x" * high  # counted after stripping
    refused(validator, "x" * (high + 1), field=field)
    if low > 0:
        refused(validator, "x" * (low - 1), field=field)
        refused(validator, " \t\n ", field=field)
    for control in ("\x00", "\x01", "\x1b", "\x7f", "\x9f", "\r", "\ud800", "\udfff"):
        refused(validator, f"a{control}b", field=field)
    if multiline:
        assert validator("a\nb\tc") == "a\nb\tc"
    else:
        refused(validator, "a\nb", field=field)
        refused(validator, "a\tb", field=field)


def test_lengths_count_code_points() -> None:
    assert limits.message_content("\U0001f600" * 2000) == "\U0001f600" * 2000
    refused(limits.message_content, "\U0001f600" * 2001, field="content")
    assert limits.server_name("é" * 100) == "é" * 100


# --- nonces -----------------------------------------------------------------------------------


def test_nonce_edges() -> None:
    assert limits.nonce(None) is None
    assert limits.nonce("n") == "n"
    assert limits.nonce("n" * 25) == "n" * 25
    assert limits.nonce(" spaced ") == "spaced"  # stripped, then checked, like every string
    assert limits.nonce(" " + "n" * 25 + " ") == "n" * 25
    # Python's str.strip() would drop U+0085 and U+001C-U+001F: they are refused instead.
    for bad in ("", "   ", "n" * 26, "a\x00", "a\nb", "a\tb", "\ud800", "n\x85", "n\x1f"):
        refused(limits.nonce, bad, field="nonce")


# --- numbers ----------------------------------------------------------------------------------


def test_page_limit_edges() -> None:
    assert limits.page_limit(None, default=50, maximum=100) == 50
    assert limits.page_limit(1, default=50, maximum=100) == 1
    assert limits.page_limit(100, default=50, maximum=100) == 100
    for bad in (0, -1, 101):
        refused(limits.page_limit, bad, default=50, maximum=100, field="limit")
    with pytest.raises(ValidationFailed) as info:
        limits.page_limit(0, default=50, maximum=100, field="size")
    assert info.value.field == "size"


def test_snowflake_edges() -> None:
    assert limits.snowflake(1, "id") == 1
    assert limits.snowflake(2**63 - 1, "id") == 2**63 - 1
    for bad in (0, -1, 2**63, 2**64):
        refused(limits.snowflake, bad, "user_id", field="user_id")


def test_invite_bounds() -> None:
    assert limits.invite_max_age(0) == 0
    assert limits.invite_max_age(7 * 24 * 3600) == 604_800
    refused(limits.invite_max_age, -1, field="max_age")
    refused(limits.invite_max_age, 604_801, field="max_age")
    assert limits.invite_max_uses(0) == 0
    assert limits.invite_max_uses(100) == 100
    refused(limits.invite_max_uses, -1, field="max_uses")
    refused(limits.invite_max_uses, 101, field="max_uses")


def test_position_bounds() -> None:
    assert limits.position(0) == 0
    assert limits.position(500) == 500
    refused(limits.position, -1, field="position")
    refused(limits.position, 501, field="position")


def test_text_screening_helpers() -> None:
    assert limits.has_control_chars("a\x00")
    assert limits.has_control_chars("a\ud800")
    assert limits.has_control_chars("a\n")  # not allowed in a login name
    assert not limits.has_control_chars("plain é \U0001f600")
    assert limits.has_lone_surrogates("\udc80")
    assert not limits.has_lone_surrogates("\U0001f600\x00")

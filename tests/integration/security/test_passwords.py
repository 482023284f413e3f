"""Weak passwords are refused where a password is chosen (register, password change): the
30,000 most common ones (zxcvbn's list), in any case, and passwords of only white space.
400 `validation_failed` naming `password`; nothing is written."""

from __future__ import annotations

import pytest

from adapters.passwords import CommonPasswordList

from ..api.harness import Api, unique
from .test_input import error_of, row_counts

WEAK = ["password123", "12345678", "PASSWORD123", "Iloveyou", "qwertyuiop", " " * 8, "\t" * 10]


def test_the_list_holds_at_least_10000_common_passwords() -> None:
    common = CommonPasswordList()
    assert len(common) >= 10_000
    assert common.is_common("Password123") and common.is_common("sunshine1")
    assert not common.is_common("correct horse battery staple")


@pytest.mark.parametrize("password", WEAK)
async def test_register_refuses_a_weak_password(api: Api, password: str) -> None:
    before = await row_counts(api.server)
    name = unique("weak")
    body = {"username": name, "email": f"{name}@example.com", "password": password}
    r = await api.post("/auth/register", json=body)
    error = error_of(r, 400)
    assert error["code"] == "validation_failed" and error["field"] == "password", error
    assert await row_counts(api.server) == before


@pytest.mark.parametrize("password", WEAK[:3] + WEAK[-1:])
async def test_a_password_change_refuses_a_weak_password(api: Api, password: str) -> None:
    alice = await api.register("alice")
    body = {"password": password, "current_password": alice.password}
    error = error_of(await api.patch("/users/@me", alice, json=body), 400)
    assert error["field"] == "password", error
    r = await api.post("/auth/login", json={"login": alice.username, "password": alice.password})
    assert r.status_code == 200  # the old password still holds


async def test_an_uncommon_password_with_spaces_is_fine(api: Api) -> None:
    await api.register("ok", password="  my own phrase  ")

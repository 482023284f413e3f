"""Auth and profiles over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from .harness import Api, unique


async def test_register_returns_token_and_private_profile(api: Api) -> None:
    username = unique("Alice")
    r = await api.post(
        "/auth/register",
        json={"username": username, "email": f"{username}@Example.com", "password": "uncommon-pw"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["user"]["username"] == username.lower()
    assert body["user"]["email"] == f"{username.lower()}@example.com"
    assert body["user"]["status"] == "online"
    assert isinstance(body["user"]["id"], str) and body["user"]["id"].isdigit()
    assert "password" not in str(body["user"])
    me = await api.get("/users/@me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json() == body["user"]


async def test_login_by_username_or_email(api: Api) -> None:
    alice = await api.register("alice")
    for login in (alice.username, alice.email, alice.username.upper()):
        r = await api.post("/auth/login", json={"login": login, "password": alice.password})
        assert r.status_code == 200, r.text
        assert r.json()["user"]["id"] == alice.id


async def test_unknown_account_and_wrong_password_look_alike(api: Api) -> None:
    alice = await api.register("alice")
    wrong = await api.post("/auth/login", json={"login": alice.username, "password": "nope-nope"})
    unknown = await api.post(
        "/auth/login", json={"login": unique("ghost"), "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


async def test_duplicate_username_and_email_are_conflicts(api: Api) -> None:
    alice = await api.register("alice")
    r = await api.post(
        "/auth/register",
        json={"username": alice.username, "email": "other@example.com", "password": "uncommon-pw"},
    )
    assert r.status_code == 409 and r.json()["code"] == "username_taken"
    r = await api.post(
        "/auth/register",
        json={"username": unique(), "email": alice.email.upper(), "password": "uncommon-pw"},
    )
    assert r.status_code == 409 and r.json()["code"] == "email_taken"


async def test_concurrent_registrations_of_one_name_create_one_account(api: Api) -> None:
    username = unique("race")
    body = {"username": username, "email": f"{username}@example.com", "password": "uncommon-pw"}
    answers = await asyncio.gather(*(api.post("/auth/register", json=body) for _ in range(6)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 1, [r.text for r in answers]
    assert set(codes) <= {201, 409}


async def test_logout_revokes_the_token_at_once(api: Api) -> None:
    alice = await api.register("alice")
    second = await api.post(
        "/auth/login", json={"login": alice.username, "password": alice.password}
    )
    other_token = {"Authorization": f"Bearer {second.json()['token']}"}
    assert (await api.post("/auth/logout", alice)).status_code == 204
    r = await api.get("/users/@me", alice)
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert (await api.get("/users/@me", headers=other_token)).status_code == 200


async def test_logout_everywhere_revokes_every_token(api: Api) -> None:
    alice = await api.register("alice")
    second = await api.post(
        "/auth/login", json={"login": alice.username, "password": alice.password}
    )
    other_token = {"Authorization": f"Bearer {second.json()['token']}"}
    r = await api.post("/auth/logout", alice, json={"everywhere": True})
    assert r.status_code == 204
    assert (await api.get("/users/@me", alice)).status_code == 401
    assert (await api.get("/users/@me", headers=other_token)).status_code == 401


async def test_refresh_extends_the_same_session(api: Api) -> None:
    alice = await api.register("alice")
    first = await api.get("/users/@me", alice)
    r = await api.post("/auth/refresh", alice)
    assert r.status_code == 200
    refreshed = {"Authorization": f"Bearer {r.json()['token']}"}
    assert (await api.get("/users/@me", headers=refreshed)).json() == first.json()
    # logging out with the new token ends the old one too: they are one session
    assert (await api.post("/auth/logout", headers=refreshed)).status_code == 204
    assert (await api.get("/users/@me", alice)).status_code == 401


async def test_missing_or_garbage_tokens_are_401(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer abc.def.ghi"},
        {"Authorization": "Basic dXNlcjpwdw=="},
    ):
        r = await api.get("/users/@me", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["code"] in {"unauthorized", "invalid_token"}
        assert set(r.json()) <= {"code", "message", "field"}


async def test_public_profile_never_shows_email(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    r = await api.get(f"/users/{alice.id}", bob)
    assert r.status_code == 200
    assert r.json() == {
        "id": alice.id,
        "username": alice.username,
        "avatar_url": None,
        "created_at": r.json()["created_at"],
    }
    assert (await api.get("/users/999999999", bob)).status_code == 404


async def test_update_profile(api: Api) -> None:
    alice = await api.register("alice")
    new_name = unique("renamed")
    r = await api.patch("/users/@me", alice, json={"username": new_name, "status": "dnd"})
    assert r.status_code == 200
    assert r.json()["username"] == new_name and r.json()["status"] == "dnd"
    bob = await api.register("bob")
    taken = await api.patch("/users/@me", bob, json={"username": new_name})
    assert taken.status_code == 409 and taken.json()["code"] == "username_taken"


async def test_password_change_needs_current_password_and_signs_out_others(api: Api) -> None:
    alice = await api.register("alice")
    other = await api.post(
        "/auth/login", json={"login": alice.username, "password": alice.password}
    )
    other_headers = {"Authorization": f"Bearer {other.json()['token']}"}
    r = await api.patch("/users/@me", alice, json={"password": "new-password-1"})
    assert r.status_code == 400 and r.json()["field"] == "current_password"
    r = await api.patch(
        "/users/@me", alice, json={"password": "new-password-1", "current_password": "wrong-one"}
    )
    assert r.status_code == 401
    r = await api.patch(
        "/users/@me",
        alice,
        json={"password": "new-password-1", "current_password": alice.password},
    )
    assert r.status_code == 200
    assert (await api.get("/users/@me", alice)).status_code == 200
    assert (await api.get("/users/@me", headers=other_headers)).status_code == 401
    old = await api.post("/auth/login", json={"login": alice.username, "password": alice.password})
    assert old.status_code == 401
    new = await api.post(
        "/auth/login", json={"login": alice.username, "password": "new-password-1"}
    )
    assert new.status_code == 200

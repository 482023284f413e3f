"""Bans, timeouts and the audit log over real HTTP and the gateway, on SQLite and PostgreSQL;
races on both (the invariants matter on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from .harness import Account, Api, GatewayClient
from .test_races import ROUNDS, at_once, crew, statuses


def _in(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def audit(api: Api, sid: str, who: Account, **params: Any) -> list[dict[str, Any]]:
    r = await api.get(f"/servers/{sid}/audit-log", who, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_ban_removes_the_member_and_no_invite_lets_them_back(api: Api) -> None:
    owner, server, (mod, bad) = await crew(api, "mod", "bad")
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.set_role(owner, sid, mod, "moderator")
    old_invite = (await api.post(f"/servers/{sid}/invites", owner, json={"max_age": 0})).json()
    posted = await api.send(bad, cid, "spam spam")
    bad_gw = await GatewayClient.identify(api.server.ws_url, bad.token)
    owner_gw = await GatewayClient.identify(api.server.ws_url, owner.token)
    r = await api.request(
        "PUT",
        f"/servers/{sid}/bans/{bad.id}",
        mod,
        json={"reason": "spamming", "delete_message_seconds": 3600},
    )
    assert r.status_code == 204, r.text
    assert await bad_gw.wait_for("SERVER_DELETE") == {"id": sid}
    removed = await owner_gw.wait_for("MEMBER_REMOVE")
    assert removed["user_id"] == bad.id and removed["kicked"]
    assert (await owner_gw.wait_for("MESSAGE_DELETE"))["id"] == posted["id"]
    # The banned user's sockets hear nothing of the server any more.
    await api.send(owner, cid, "after the ban")
    assert not [f for f in await bad_gw.quiet(0.5) if f.get("t") == "MESSAGE_CREATE"]
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert posted["id"] not in [m["id"] for m in history]
    # Every invite, old or new, is refused.
    new_invite = (await api.post(f"/servers/{sid}/invites", owner, json={})).json()
    for code in (old_invite["code"], new_invite["code"]):
        r = await api.post(f"/invites/{code}", bad)
        assert r.status_code == 403 and r.json()["code"] == "banned", r.text
    assert (await api.get(f"/servers/{sid}", bad)).status_code == 404
    bans = (await api.get(f"/servers/{sid}/bans", mod)).json()
    assert [(b["user"]["id"], b["reason"]) for b in bans] == [(bad.id, "spamming")]
    one = await api.get(f"/servers/{sid}/bans/{bad.id}", mod)
    assert one.status_code == 200 and one.json()["user"]["username"] == bad.username
    # Lifted: the same invite works again.
    r = await api.delete(f"/servers/{sid}/bans/{bad.id}", mod)
    assert r.status_code == 204, r.text
    assert (await api.post(f"/invites/{old_invite['code']}", bad)).status_code == 200
    assert (await api.delete(f"/servers/{sid}/bans/{bad.id}", mod)).status_code == 404
    entries = await audit(api, sid, owner)
    assert [e["action"] for e in entries[:4]] == [
        "member_ban_remove",
        "invite_create",
        "member_ban_add",
        "invite_create",
    ]
    ban_entry = entries[2]
    assert (ban_entry["actor_id"], ban_entry["target_id"], ban_entry["reason"]) == (
        mod.id,
        bad.id,
        "spamming",
    )
    assert ban_entry["changes"] == [
        {"key": "delete_message_seconds", "old_value": None, "new_value": 3600}
    ]
    await bad_gw.close()
    await owner_gw.close()


async def test_banning_a_user_who_is_not_a_member(api: Api) -> None:
    owner, server, _ = await crew(api)
    sid = server["id"]
    stranger = await api.register("stranger")
    headers = {"X-Audit-Log-Reason": quote("raids other servers — known")}
    r = await api.request("PUT", f"/servers/{sid}/bans/{stranger.id}", owner, headers=headers)
    assert r.status_code == 204, r.text
    again = await api.request("PUT", f"/servers/{sid}/bans/{stranger.id}", owner, json={})
    assert again.status_code == 204
    invite = (await api.post(f"/servers/{sid}/invites", owner, json={})).json()
    r = await api.post(f"/invites/{invite['code']}", stranger)
    assert r.status_code == 403 and r.json()["code"] == "banned"
    entries = await audit(api, sid, owner, action="member_ban_add")
    assert [e["reason"] for e in entries] == ["raids other servers — known"]
    r = await api.request("PUT", f"/servers/{sid}/bans/999999999", owner)
    assert r.status_code == 404 and r.json()["code"] == "unknown_user"


async def test_ban_input_is_checked(api: Api) -> None:
    owner, server, (x,) = await crew(api, "x")
    sid = server["id"]
    for body in (
        {"delete_message_seconds": 604801},
        {"delete_message_seconds": -1},
        {"reason": "r" * 513},
        {"unknown": 1},
    ):
        r = await api.request("PUT", f"/servers/{sid}/bans/{x.id}", owner, json=body)
        assert r.status_code == 400, (body, r.text)
    long_header = {"X-Audit-Log-Reason": "h" * 513}
    r = await api.request("PUT", f"/servers/{sid}/bans/{x.id}", owner, headers=long_header)
    assert r.status_code == 400, r.text
    bad_header = {"X-Audit-Log-Reason": "%ff%fe"}
    r = await api.delete(f"/servers/{sid}/members/{x.id}", owner, headers=bad_header)
    assert r.status_code == 400, r.text
    r = await api.get(f"/servers/{sid}/bans", owner, params={"limit": 1001})
    assert r.status_code == 400
    # Nothing happened.
    assert x.id in [m["user"]["id"] for m in (await api.get(f"/servers/{sid}/members", x)).json()]
    assert await audit(api, sid, owner, action="member_ban_add") == []
    assert await audit(api, sid, owner, action="member_kick") == []


async def test_a_timed_out_member_reads_but_cannot_post_or_type(api: Api) -> None:
    owner, server, (mod, loud) = await crew(api, "mod", "loud")
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.set_role(owner, sid, mod, "moderator")
    until = _in(30)
    gw = await GatewayClient.identify(api.server.ws_url, owner.token)
    r = await api.patch(
        f"/servers/{sid}/members/{loud.id}",
        mod,
        json={"communication_disabled_until": until},
        headers={"X-Audit-Log-Reason": "calm down"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["communication_disabled_until"] is not None
    update = await gw.wait_for("MEMBER_UPDATE")
    assert update["user"]["id"] == loud.id and update["communication_disabled_until"]
    r = await api.post(f"/channels/{cid}/messages", loud, json={"content": "let me talk"})
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["code"] == "timed_out"
    assert datetime.fromisoformat(body["communication_disabled_until"]) == datetime.fromisoformat(
        until
    )
    r = await api.post(f"/channels/{cid}/typing", loud)
    assert r.status_code == 403 and r.json()["code"] == "timed_out"
    files = {"files[0]": ("a.txt", b"hello", "text/plain")}
    r = await api.post(f"/channels/{cid}/messages", loud, files=files)
    assert r.status_code == 403 and r.json()["code"] == "timed_out", r.text
    assert (await api.get(f"/channels/{cid}/messages", loud)).status_code == 200
    mine = (await api.get(f"/servers/{sid}", loud)).json()
    assert mine["communication_disabled_until"] is not None
    r = await api.patch(
        f"/servers/{sid}/members/{loud.id}", mod, json={"communication_disabled_until": None}
    )
    assert r.status_code == 200 and r.json()["communication_disabled_until"] is None
    await api.send(loud, cid, "thanks")
    entries = await audit(api, sid, owner, action="member_update")
    assert [e["reason"] for e in entries] == [None, "calm down"]
    await gw.close()


async def test_timeout_input_is_checked(api: Api) -> None:
    owner, server, (x,) = await crew(api, "x")
    sid = server["id"]
    for value in (_in(-1), _in(28 * 24 * 60 + 5), "2026-12-01T10:00:00", "soon", 5):
        r = await api.patch(
            f"/servers/{sid}/members/{x.id}", owner, json={"communication_disabled_until": value}
        )
        assert r.status_code == 400, (value, r.text)
    r = await api.patch(
        f"/servers/{sid}/members/{owner.id}", owner, json={"communication_disabled_until": _in(5)}
    )
    assert r.status_code == 403 and r.json()["code"] == "role_hierarchy"
    assert await audit(api, sid, owner, action="member_update") == []


async def test_the_audit_log_is_for_admins_and_pages(api: Api) -> None:
    owner, server, (admin, mod, member) = await crew(api, "admin", "mod", "member")
    sid = server["id"]
    await api.set_role(owner, sid, admin, "admin")
    await api.set_role(owner, sid, mod, "moderator")
    for i in range(4):
        r = await api.post(f"/servers/{sid}/channels", admin, json={"name": f"c{i}"})
        assert r.status_code == 201
    r = await api.patch(f"/servers/{sid}", owner, json={"name": "Renamed"})
    assert r.status_code == 200
    for who, status in ((owner, 200), (admin, 200), (mod, 403), (member, 403)):
        assert (await api.get(f"/servers/{sid}/audit-log", who)).status_code == status
    outsider = await api.register("out")
    r = await api.get(f"/servers/{sid}/audit-log", outsider)
    assert r.status_code == 404 and r.json()["code"] == "unknown_server"
    first = await audit(api, sid, admin, limit=2)
    second = await audit(api, sid, admin, limit=2, before=first[-1]["id"])
    everything = await audit(api, sid, admin, limit=100)
    assert [e["id"] for e in first + second] == [e["id"] for e in everything[:4]]
    by_admin = await audit(api, sid, admin, user_id=admin.id, action="channel_create")
    assert len(by_admin) == 4 and {e["actor_id"] for e in by_admin} == {admin.id}
    assert next(e["action"] for e in await audit(api, sid, admin, user_id=owner.id)) == (
        "server_update"
    )
    for params in ({"action": "nope"}, {"limit": 0}, {"limit": 101}, {"before": "x"}):
        r = await api.get(f"/servers/{sid}/audit-log", admin, params=params)
        assert r.status_code == 400, (params, r.text)


# --- races ----------------------------------------------------------------------------------


async def test_ban_racing_joins_through_invites_never_leaves_a_banned_member(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, _ = await crew(api)
        sid = server["id"]
        joiners = [await api.register("j") for _ in range(4)]
        invite = (await api.post(f"/servers/{sid}/invites", owner, json={})).json()
        answers = await at_once(
            *(api.post(f"/invites/{invite['code']}", j) for j in joiners),
            *(api.request("PUT", f"/servers/{sid}/bans/{j.id}", owner) for j in joiners),
        )
        joins, bans = answers[:4], answers[4:]
        assert statuses(bans) == [204] * 4, [r.text for r in bans]
        assert all(r.status_code in (200, 403) for r in joins), [r.text for r in joins]
        members = {
            m["user"]["id"] for m in (await api.get(f"/servers/{sid}/members", owner)).json()
        }
        assert members == {owner.id}
        banned = {b["user"]["id"] for b in (await api.get(f"/servers/{sid}/bans", owner)).json()}
        assert banned == {j.id for j in joiners}


async def test_concurrent_bans_and_unbans_keep_one_answer_each(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, (x,) = await crew(api, "x")
        sid = server["id"]
        answers = await at_once(
            *(api.request("PUT", f"/servers/{sid}/bans/{x.id}", owner) for _ in range(5))
        )
        assert statuses(answers) == [204] * 5
        assert len(await audit(api, sid, owner, action="member_ban_add")) == 1
        answers = await at_once(
            *(api.delete(f"/servers/{sid}/bans/{x.id}", owner) for _ in range(5))
        )
        assert statuses(answers) == [204] + [404] * 4
        assert len(await audit(api, sid, owner, action="member_ban_remove")) == 1
        assert (await api.get(f"/servers/{sid}/bans", owner)).json() == []

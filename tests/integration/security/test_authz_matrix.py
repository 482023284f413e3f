"""The authorization matrix, from one table: every endpoint x {anonymous, non-member, member,
moderator, admin, owner} x {own object, someone else's, another server's}, with the status
expected, on SQLite and PostgreSQL.

Each cell runs against a fresh pair of servers: S (owner, admin, moderator, member, and
`someone`, a second plain member) and F (another owner's server none of the actors is in).
- own: the actor's object: their server S, a channel of S, their own message, their own
  membership, an invite of S. (Anonymous and non-members have none: they get someone's.)
- others: someone else's object inside S: `someone`'s message or membership.
- foreign: the same kind of object in F.
A cell whose answer is 404 is also asked with ids that never existed: the answer must be the
same, byte for byte, so a non-member cannot tell whether a server, channel or message exists.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ..api.harness import LiveServer, unique

ROLES = ("anonymous", "non-member", "member", "moderator", "admin", "owner")
TARGETS = ("own", "others", "foreign")
PASSWORD = "matrix-password-1"
PREFIX = "/api/v1"
EMOJI = "%F0%9F%91%8D"
"""👍, percent-encoded as it goes in a path."""

Vars = dict[str, str]
Body = dict[str, Any] | Callable[[Vars], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    """One endpoint. `own`, `others`, `foreign`: the status for each role, in ROLES order
    ("-": the cell does not exist). `fresh`: the object kind each cell gets a new one of,
    because the call may consume it."""

    method: str
    path: str
    own: str
    others: str = "-"
    foreign: str = "-"
    body: Body = None
    fresh: str | None = None
    new_token: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def expected(self, target: str) -> dict[str, int] | None:
        spec = getattr(self, target)
        if spec == "-":
            return None
        codes = spec.split()
        assert len(codes) == len(ROLES), (self.label, target, spec)
        return {role: int(code) for role, code in zip(ROLES, codes, strict=True)}


#      role order:     anon  non-m member  mod  admin owner
MATRIX = [
    # --- auth and profile: no object, only "own" ---------------------------------------------
    Row("POST", "/auth/refresh", own="401 200 200 200 200 200"),
    Row("POST", "/auth/logout", own="401 204 204 204 204 204", new_token=True),
    Row("GET", "/users/@me", own="401 200 200 200 200 200"),
    Row("PATCH", "/users/@me", own="401 200 200 200 200 200", body={"status": "away"}),
    Row("GET", "/users/@me/servers", own="401 200 200 200 200 200"),
    Row("GET", "/users/@me/export", own="401 200 200 200 200 200"),
    # Deleting an account is tested in tests/integration/api/test_accounts.py (the cast must
    # live on): here, only that the password is asked for.
    Row(
        "DELETE",
        "/users/@me",
        own="401 401 401 401 401 401",
        body={"password": "not-the-password"},
    ),
    Row(
        "GET",
        "/users/{user}",  # public profiles: any signed-in user sees any user
        own="401 200 200 200 200 200",
        others="401 200 200 200 200 200",
        foreign="401 200 200 200 200 200",
    ),
    Row(
        "DELETE",
        "/users/@me/servers/{server}",  # leave
        own="401 404 204 204 204 409",
        foreign="401 404 404 404 404 404",
    ),
    # --- bots: own = a bot of the actor's, others = someone's ---------------------------------
    Row(
        "POST",
        "/users/@me/bots",
        own="401 201 201 201 201 201",
        body=lambda v: {"username": unique("mbot")},
    ),
    Row("GET", "/users/@me/bots", own="401 200 200 200 200 200"),
    Row(
        "POST",
        "/users/@me/bots/{bot}/token",
        own="401 200 200 200 200 200",
        others="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/users/@me/bots/{bot}",
        own="401 204 204 204 204 204",
        others="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/servers/{server}/members",  # add a bot: admins, their own bots only
        own="401 404 403 403 201 201",
        others="401 404 403 403 403 403",
        foreign="401 404 404 404 404 404",
        body=lambda v: {"user_id": v["bot"]},
    ),
    # --- servers ------------------------------------------------------------------------------
    Row("POST", "/servers", own="401 201 201 201 201 201", body={"name": "another"}),
    Row(
        "GET", "/servers/{server}", own="401 404 200 200 200 200", foreign="401 404 404 404 404 404"
    ),
    Row(
        "PATCH",
        "/servers/{server}",
        own="401 404 403 403 200 200",
        foreign="401 404 404 404 404 404",
        body={"name": "renamed"},
    ),
    Row(
        "DELETE",
        "/servers/{server}",
        own="401 404 403 403 403 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "GET",
        "/servers/{server}/export",
        own="401 404 403 403 403 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/servers/{server}/transfer",
        own="401 404 403 403 403 200",
        foreign="401 404 404 404 404 404",
        body=lambda v: {"user_id": v["someone"]},
    ),
    Row(
        "GET",
        "/servers/{server}/channels",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/servers/{server}/channels",
        own="401 404 403 403 201 201",
        foreign="401 404 404 404 404 404",
        body={"name": "new-channel"},
    ),
    Row(
        "GET",
        "/servers/{server}/invites",
        own="401 404 403 403 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/servers/{server}/invites",
        own="401 404 403 403 201 201",
        foreign="401 404 404 404 404 404",
        body={"max_age": 60, "max_uses": 1},
    ),
    Row(
        "GET",
        "/servers/{server}/members",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    # --- members: own = your own membership, others = someone's ---------------------------
    Row(
        "GET",
        "/servers/{server}/members/{user}",
        own="401 404 200 200 200 200",
        others="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "PATCH",
        "/servers/{server}/members/{user}",
        own="401 404 403 403 403 403",  # nobody changes their own role
        others="401 404 403 403 200 200",
        foreign="401 404 404 404 404 404",
        body={"role": "moderator"},
    ),
    Row(
        "DELETE",
        "/servers/{server}/members/{user}",  # kick
        own="401 404 403 403 403 403",  # nobody kicks themself (members leave instead)
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "PATCH",
        "/servers/{server}/members/{user}",  # a timeout: moderator and above, lower ranks
        own="401 404 403 403 403 403",
        others="401 404 403 200 200 200",
        foreign="401 404 404 404 404 404",
        body=lambda v: {"communication_disabled_until": _in_an_hour()},
    ),
    # --- moderation: bans (others = someone, a plain member) and the audit log ---------------
    Row(
        "PUT",
        "/servers/{server}/bans/{user}",
        own="401 404 403 403 403 403",  # nobody bans themself
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/servers/{server}/bans/{user}",
        own="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
        fresh="ban",
    ),
    Row(
        "GET",
        "/servers/{server}/bans/{user}",
        own="401 404 403 200 200 200",
        foreign="401 404 404 404 404 404",
        fresh="ban",
    ),
    Row(
        "GET",
        "/servers/{server}/bans",
        own="401 404 403 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "GET",
        "/servers/{server}/audit-log",
        own="401 404 403 403 200 200",
        foreign="401 404 404 404 404 404",
    ),
    # --- invites: the code is the capability to see and join --------------------------------
    Row(
        "GET",
        "/invites/{code}",
        own="401 200 200 200 200 200",
        foreign="401 200 200 200 200 200",
    ),
    Row(
        "POST",
        "/invites/{code}",
        own="401 200 200 200 200 200",
        foreign="401 200 200 200 200 200",
        fresh="invite",
    ),
    Row(
        "DELETE",
        "/invites/{code}",
        own="401 404 403 403 204 204",
        foreign="401 404 404 404 404 404",
        fresh="invite",
    ),
    # --- channels -----------------------------------------------------------------------------
    Row(
        "GET",
        "/channels/{channel}",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "PATCH",
        "/channels/{channel}",
        own="401 404 403 403 200 200",
        foreign="401 404 404 404 404 404",
        body={"topic": "new topic"},
    ),
    Row(
        "DELETE",
        "/channels/{channel}",
        own="401 404 403 403 204 204",
        foreign="401 404 404 404 404 404",
        fresh="channel",
    ),
    Row(
        "POST",
        "/channels/{channel}/typing",
        own="401 404 204 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "GET",
        "/channels/{channel}/messages",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/channels/{channel}/messages",
        own="401 404 201 201 201 201",
        foreign="401 404 404 404 404 404",
        body={"content": "hello"},
    ),
    Row(
        "GET",
        "/channels/{channel}/messages/search",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "GET",
        "/servers/{server}/messages/search",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    # --- messages: own = yours, others = someone's --------------------------------------------
    Row(
        "GET",
        "/channels/{channel}/messages/{message}",
        own="401 404 200 200 200 200",
        others="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "PATCH",
        "/channels/{channel}/messages/{message}",
        own="401 404 200 200 200 200",
        others="401 404 403 403 403 403",  # only the author edits, whatever the role
        foreign="401 404 404 404 404 404",
        body={"content": "edited"},
    ),
    Row(
        "DELETE",
        "/channels/{channel}/messages/{message}",
        own="401 404 204 204 204 204",
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    # --- reactions and pins: own = your message, others = someone's -------------------------
    Row(
        "PUT",
        "/channels/{channel}/messages/{message}/reactions/{emoji}/@me",
        own="401 404 204 204 204 204",
        others="401 404 204 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/messages/{message}/reactions/{emoji}/@me",
        own="401 404 204 204 204 204",
        others="401 404 204 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/messages/{message}/reactions/{emoji}/{user}",
        own="401 404 204 204 204 204",  # your own reaction
        others="401 404 403 204 204 204",  # someone's: moderators and above
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/messages/{message}/reactions/{emoji}",
        own="401 404 403 204 204 204",
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/messages/{message}/reactions",
        own="401 404 403 204 204 204",
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "GET",
        "/channels/{channel}/messages/{message}/reactions/{emoji}",
        own="401 404 200 200 200 200",
        others="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    # --- read states and notification settings (#15) -----------------------------------------
    Row(
        "POST",
        "/channels/{channel}/messages/{message}/ack",
        own="401 404 204 204 204 204",
        others="401 404 204 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "POST",
        "/servers/{server}/ack",
        own="401 404 204 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row("GET", "/users/@me/read-states", own="401 200 200 200 200 200"),
    Row("GET", "/users/@me/notification-settings", own="401 200 200 200 200 200"),
    Row(
        "PATCH",
        "/users/@me/notification-settings",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
        body=lambda v: {"server_id": v["server"], "level": "mentions"},
    ),
    Row(
        "GET",
        "/channels/{channel}/pins",
        own="401 404 200 200 200 200",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "PUT",
        "/channels/{channel}/pins/{message}",
        own="401 404 403 204 204 204",
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/pins/{message}",
        own="401 404 403 204 204 204",
        others="401 404 403 204 204 204",
        foreign="401 404 404 404 404 404",
    ),
    # --- DMs and blocks: reachable = sharing a server (the non-member shares none) ----------
    Row("GET", "/users/@me/channels", own="401 200 200 200 200 200"),
    Row(
        "POST",
        "/users/@me/channels",  # a group DM with someone (a new one each time)
        own="401 404 201 201 201 201",
        body=lambda v: {"recipient_ids": [v["someone"]]},
    ),
    Row(
        "PUT",
        "/channels/{channel}/recipients/{user}",  # a server channel has no recipients
        own="401 404 400 400 400 400",
        foreign="401 404 404 404 404 404",
    ),
    Row(
        "DELETE",
        "/channels/{channel}/recipients/{user}",
        own="401 404 400 400 400 400",
        foreign="401 404 404 404 404 404",
    ),
    Row("GET", "/users/@me/blocks", own="401 200 200 200 200 200"),
    Row(
        "PUT",
        "/users/@me/blocks/{user}",  # yourself: 400; anyone else, known or not: 204
        own="401 400 400 400 400 400",
        others="401 204 204 204 204 204",
        foreign="401 204 204 204 204 204",
    ),
    Row(
        "DELETE",
        "/users/@me/blocks/{user}",  # after the PUT row: unblocks everyone again
        own="401 204 204 204 204 204",
        others="401 204 204 204 204 204",
        foreign="401 204 204 204 204 204",
    ),
]
PUBLIC = {
    "POST /auth/register",
    "POST /auth/login",
    "GET /health",
    "GET /ready",
    # Files: the signed URL (attachments) or the content version (avatars, icons) is the
    # capability, so image loaders can fetch with a plain GET. Who gets an attachment URL is
    # the message rules' matter (tests/integration/api/test_attachments.py).
    "GET /attachments/{channel_id}/{attachment_id}/{filename}",
    "GET /thumbnails/{channel_id}/{thumbnail_name}",
    "GET /avatars/{user_id}/{avatar_name}",
    "GET /icons/{server_id}/{icon_name}",
}


def _in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


# --- the cast and the servers ---------------------------------------------------------------


@dataclass
class Person:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Cast:
    people: dict[str, Person]
    http: httpx.Client

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def call(self, method: str, path: str, who: Person | None, **kw: Any) -> httpx.Response:
        headers = who.headers if who is not None else {}
        return self.http.request(method, PREFIX + path, headers=headers, **kw)

    def ok(self, method: str, path: str, who: Person | None, **kw: Any) -> Any:
        r = self.call(method, path, who, **kw)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def login(self, who: Person) -> Person:
        r = self.call(
            "POST", "/auth/login", None, json={"login": who.username, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        return Person(who.id, who.username, r.json()["token"])


CAST = ("non-member", "member", "moderator", "admin", "owner", "someone", "stranger")


@pytest.fixture(scope="module")
def cast(shared_live: LiveServer) -> Iterator[Cast]:
    with httpx.Client(base_url=shared_live.url, timeout=15) as http:
        people = {}
        for role in CAST:
            name = unique(role.replace("-", "")[:8])
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            r = http.post(f"{PREFIX}/auth/register", json=body)
            assert r.status_code == 201, r.text
            people[role] = Person(r.json()["user"]["id"], name, r.json()["token"])
        yield Cast(people, http)


def build_servers(cast: Cast) -> tuple[Vars, Vars]:
    owner, stranger = cast["owner"], cast["stranger"]
    s = cast.ok("POST", "/servers", owner, json={"name": "S"})
    code = cast.ok("POST", f"/servers/{s['id']}/invites", owner, json={})["code"]
    for role in ("admin", "moderator", "member", "someone"):
        cast.ok("POST", f"/invites/{code}", cast[role])
    for role in ("admin", "moderator"):
        cast.ok("PATCH", f"/servers/{s['id']}/members/{cast[role].id}", owner, json={"role": role})
    f = cast.ok("POST", "/servers", stranger, json={"name": "F"})
    f_channel = f["channels"][0]["id"]
    f_message = cast.ok("POST", f"/channels/{f_channel}/messages", stranger, json={"content": "f"})
    f_code = cast.ok("POST", f"/servers/{f['id']}/invites", stranger, json={})["code"]
    mine = {"server": s["id"], "channel": s["channels"][0]["id"], "code": code}
    theirs = {
        "server": f["id"],
        "channel": f_channel,
        "message": f_message["id"],
        "user": stranger.id,
        "code": f_code,
    }
    return mine, theirs


def tear_down(cast: Cast, mine: Vars, theirs: Vars) -> None:
    """Delete both servers (whoever owns S by now), so nobody's server quota fills up."""
    for who in ("owner", "someone"):
        if cast.call("DELETE", f"/servers/{mine['server']}", cast[who]).status_code == 204:
            break
    cast.call("DELETE", f"/servers/{theirs['server']}", cast["stranger"])


def cell_vars(cast: Cast, row: Row, role: str, target: str, mine: Vars, theirs: Vars) -> Vars:
    """The path variables (and `someone`) of one cell, making fresh objects where needed."""
    owner = cast["owner"]
    someone = cast["someone"]
    actor = cast[role] if role != "anonymous" else None
    bots: Vars = {}
    if "{bot}" in row.path or (row.method, row.path) == ("POST", "/servers/{server}/members"):
        # a bot of the actor's (own, foreign), or of someone's (others; anonymous has none)
        bot_owner = actor if (target != "others" and actor is not None) else someone
        made = cast.ok("POST", "/users/@me/bots", bot_owner, json={"username": unique("cbot")})
        bots["bot"] = made["user"]["id"]
    if "{emoji}" in row.path:
        bots["emoji"] = EMOJI
    if target == "foreign":
        return {**theirs, **bots, "someone": cast["stranger"].id}
    values = {**mine, **bots, "someone": someone.id}
    is_member = role in ("member", "moderator", "admin", "owner")
    # users: your own membership / profile, or someone's
    values["user"] = actor.id if (target == "own" and actor is not None) else someone.id
    # messages: yours if you can post in S, else someone's
    author = cast[role] if (target == "own" and is_member) else someone
    path = f"/channels/{values['channel']}/messages"
    values["message"] = cast.ok("POST", path, author, json={"content": "m"})["id"]
    if row.fresh == "channel":
        values["channel"] = cast.ok(
            "POST", f"/servers/{values['server']}/channels", owner, json={"name": "c"}
        )["id"]
    if row.fresh == "ban":  # a user banned from S (not one of the cast)
        name = unique("banned")
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        banned = cast.ok("POST", "/auth/register", None, json=body)["user"]["id"]
        cast.ok("PUT", f"/servers/{values['server']}/bans/{banned}", owner)
        values["user"] = banned
    if row.fresh == "invite":
        values["code"] = cast.ok("POST", f"/servers/{values['server']}/invites", owner, json={})[
            "code"
        ]
    return values


def never_existed(values: Vars) -> Vars:
    fake = itertools.count(2**62 + secrets.randbelow(2**40))
    return {
        k: (
            v
            if k == "emoji"  # not an id: a real emoji, so only the ids can be unknown
            else f"nope{secrets.token_hex(4)}"
            if k == "code"
            else str(next(fake))
        )
        for k, v in values.items()
    }


def ask(cast: Cast, row: Row, role: str, values: Vars) -> httpx.Response:
    body = row.body(values) if callable(row.body) else row.body
    who: Person | None = None
    if role != "anonymous":
        who = cast.login(cast[role]) if row.new_token else cast[role]
    kw: dict[str, Any] = {"json": body} if body is not None else {}
    return cast.call(row.method, row.path.format(**values), who, **kw)


def error_shape(r: httpx.Response) -> None:
    body = r.json()
    assert isinstance(body, dict) and {"code", "message"} <= set(body), r.text
    assert set(body) <= {"code", "message", "field", "retry_after"}, r.text


# Rows whose success changes who is in which server, or who owns it: the next cell needs new
# servers. Every other row's cells share one pair.
RESHAPES = {
    "DELETE /users/@me/servers/{server}",
    "DELETE /servers/{server}",
    "POST /servers/{server}/transfer",
    "PATCH /servers/{server}/members/{user}",
    "DELETE /servers/{server}/members/{user}",
    "PUT /servers/{server}/bans/{user}",
    "POST /invites/{code}",
}


@pytest.mark.parametrize("row", MATRIX, ids=[row.label for row in MATRIX])
def test_authorization_matrix(cast: Cast, row: Row) -> None:
    wrong: list[str] = []
    mine, theirs = build_servers(cast)
    try:
        for role, target in itertools.product(ROLES, TARGETS):
            expected = row.expected(target)
            if expected is None:
                continue
            values = cell_vars(cast, row, role, target, mine, theirs)
            r = ask(cast, row, role, values)
            if r.status_code < 300 and row.label in RESHAPES:
                tear_down(cast, mine, theirs)
                mine, theirs = build_servers(cast)
            if r.status_code != expected[role]:
                wrong.append(
                    f"{role:>10} x {target:<7}: expected {expected[role]}, "
                    f"got {r.status_code} {r.text[:120]}"
                )
                continue
            if r.status_code >= 400:
                error_shape(r)
            if r.status_code == 404:  # indistinguishable from an object that never was
                again = ask(cast, row, role, never_existed(values))
                if (again.status_code, again.json()) != (404, r.json()):
                    wrong.append(
                        f"{role:>10} x {target:<7}: 404 {r.text} but for ids that never "
                        f"existed {again.status_code} {again.text}"
                    )
    finally:
        tear_down(cast, mine, theirs)
    assert not wrong, f"{row.label}\n" + "\n".join(wrong)


def test_the_matrix_covers_every_endpoint(shared_live: LiveServer) -> None:
    """Every operation of the served OpenAPI schema is a row of the matrix or public."""
    schema = httpx.get(f"{shared_live.url}/schema/openapi.json").json()
    served = {
        f"{method.upper()} {path.removeprefix(PREFIX)}"
        for path, item in schema["paths"].items()
        for method in item
    }
    rows = {
        f"{row.method} "
        + row.path.replace("{server}", "{server_id}")
        .replace("{channel}", "{channel_id}")
        .replace("{message}", "{message_id}")
        .replace("{user}", "{user_id}")
        .replace("{bot}", "{bot_id}")
        for row in MATRIX
    }
    assert served - PUBLIC == rows, (served - PUBLIC) ^ rows


def test_public_routes_need_no_token_and_the_schema_says_which(shared_live: LiveServer) -> None:
    schema = httpx.get(f"{shared_live.url}/schema/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path.removeprefix(PREFIX)}"
            assert (operation.get("security") == []) == (label in PUBLIC), label
            if label not in PUBLIC:
                assert "401" in operation["responses"], label
    body = json.dumps({"login": "nobody", "password": "whatever1"})
    r = httpx.post(
        f"{shared_live.url}{PREFIX}/auth/login",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    assert httpx.get(f"{shared_live.url}/health").status_code == 200

"""Schemathesis against the app's own OpenAPI schema (the one it serves), over real HTTP, on
SQLite and PostgreSQL.

- `test_every_operation_conforms`: every operation, positive and negative data, signed in as
  alice: no 5xx, every response (errors included) matches the schema, invalid data is
  rejected with a 4xx.
- `test_another_user_cannot_reach_victims_objects`: every operation that names an object in its
  path, with valid data but the path pointing at victim's server, channel, message, membership
  or invite and mallory's token: never a 2xx, and never anything that tells mallory the object
  exists (only 404, or 400 for a body the core refuses before it looks anything up).
- `test_victims_objects_survived`: afterwards victim's objects are all there, unchanged.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ..api.files_helpers import data_url, png
from ..api.harness import LiveServer, live_server, make_settings
from .conftest import BACKENDS

MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
PASSWORD = "fuzz-password-1"
PREFIX = "/api/v1"
# Reachable by any signed-in user by design: public profiles, and invites (the code is the
# capability). They are covered by the authorization matrix instead.
NOT_OBJECT_SCOPED = {
    ("GET", f"{PREFIX}/users/{{user_id}}"),
    ("GET", f"{PREFIX}/invites/{{code}}"),
    ("POST", f"{PREFIX}/invites/{{code}}"),
    # Avatars and icons are public by their content version, like Discord's.
    ("GET", f"{PREFIX}/avatars/{{user_id}}/{{avatar_name}}"),
    ("GET", f"{PREFIX}/icons/{{server_id}}/{{icon_name}}"),
    # Blocking is the caller's own list: anyone may block (or unblock) any account.
    ("PUT", f"{PREFIX}/users/@me/blocks/{{user_id}}"),
    ("DELETE", f"{PREFIX}/users/@me/blocks/{{user_id}}"),
}
PIXEL = png(2, 2)


@dataclass
class Person:
    id: str
    email: str
    token: str


@dataclass
class Fuzzed:
    server: LiveServer
    alice: Person
    mallory: Person
    victim: Person
    bob: Person
    victim_targets: dict[str, str]
    """Path parameters naming victim's server, channel, message, member, invite."""

    def alice_targets(self) -> dict[str, str]:
        """A new server of alice's with bob in it: its path parameters."""
        with httpx.Client(base_url=self.server.url, timeout=15) as http:
            return _server_with_objects(http, self.alice, "Mine", member=self.bob)

    def fresh_token(self, person: Person) -> str:
        r = httpx.post(
            f"{self.server.url}{PREFIX}/auth/login",
            json={"login": person.email, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["token"])


def _register(http: httpx.Client, prefix: str) -> Person:
    name = f"{prefix}{secrets.token_hex(5)}"
    email = f"{name}@example.com"
    r = http.post(
        f"{PREFIX}/auth/register", json={"username": name, "email": email, "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    return Person(r.json()["user"]["id"], email, r.json()["token"])


def _as(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


def _server_with_objects(
    http: httpx.Client, owner: Person, name: str, member: Person | None = None
) -> dict[str, str]:
    """A server with a message, a picture posted in it, an icon and an invite (and `member`
    joined, with an avatar): its path parameters."""
    server = http.post(f"{PREFIX}/servers", headers=_as(owner), json={"name": name}).json()
    channel = server["channels"][0]
    picture = http.post(
        f"{PREFIX}/channels/{channel['id']}/messages",
        headers=_as(owner),
        data={"payload_json": '{"content": "the map"}'},
        files={"files[0]": ("map.png", PIXEL, "image/png")},
    )
    assert picture.status_code == 201, picture.text
    attachment = picture.json()["attachments"][0]
    message = http.post(
        f"{PREFIX}/channels/{channel['id']}/messages",
        headers=_as(owner),
        json={"content": "secret plans"},
    ).json()
    icon = data_url(PIXEL)
    server = http.patch(f"{PREFIX}/servers/{server['id']}", headers=_as(owner), json={"icon": icon})
    assert server.status_code == 200, server.text
    server = server.json()
    invite = http.post(f"{PREFIX}/servers/{server['id']}/invites", headers=_as(owner), json={})
    code = invite.json()["code"]
    if member is not None:
        assert http.post(f"{PREFIX}/invites/{code}", headers=_as(member)).status_code == 200
    avatar = http.patch(f"{PREFIX}/users/@me", headers=_as(member or owner), json={"avatar": icon})
    assert avatar.status_code == 200, avatar.text
    bot = http.post(
        f"{PREFIX}/users/@me/bots",
        headers=_as(owner),
        json={"username": f"b{secrets.token_hex(6)}"},
    )
    assert bot.status_code == 201, bot.text
    return {
        "bot_id": bot.json()["user"]["id"],
        "server_id": server["id"],
        "channel_id": channel["id"],
        "message_id": message["id"],
        "user_id": member.id if member is not None else owner.id,
        "code": code,
        "attachment_id": attachment["id"],
        "filename": attachment["filename"],
        "thumbnail_name": f"{attachment['id']}.webp",
        "avatar_name": avatar.json()["avatar_url"].rsplit("/", 1)[1],
        "icon_name": server["icon_url"].rsplit("/", 1)[1],
        "emoji": "👍",
    }


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_database_factory")()
    with live_server(make_settings(data_dir, database_url)) as server:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            alice, bob, mallory, victim = (
                _register(http, p) for p in ("alice", "bob", "mallory", "victim")
            )
            theirs = _server_with_objects(http, victim, "Private")
        yield Fuzzed(server, alice, mallory, victim, bob, theirs)


def _load(fuzzed: Fuzzed) -> Any:
    return schemathesis.openapi.from_url(f"{fuzzed.server.url}/schema/openapi.json")


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: Any, mode: GenerationMode, run: Callable[[Any], None], **fixed: Any) -> None:
    """Run `run(case)` on up to MAX_EXAMPLES generated cases of one operation."""

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def check(case: Any) -> None:
        run(case)

    check()


def _path_parameters(operation: Any, targets: dict[str, str]) -> dict[str, str]:
    return {name: targets[name] for name in re.findall(r"\{(\w+)\}", operation.path)}


def _failures(
    operations: list[Any],
    mode: GenerationMode,
    run: Callable[[Any], None],
    targets: dict[str, str] | None = None,
) -> str:
    found = []
    for operation in operations:
        fixed = {}
        if targets is not None:
            fixed = {"path_parameters": _path_parameters(operation, targets)}
        try:
            _fuzz(operation, mode, run, **fixed)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # no input at all: nothing to get wrong
        except (Exception, BaseExceptionGroup) as exc:
            found.append(f"--- {operation.label} ({mode.value}) ---\n{exc}")
    return "\n\n".join(found)


def _deletes_last(operation: Any) -> tuple[bool, bool, int]:
    """Run deletions after everything else, the deepest objects first and the server last,
    so the real objects stay there for as long as possible."""
    deletes = operation.method.upper() == "DELETE"
    server = operation.path == f"{PREFIX}/servers/{{server_id}}"
    return deletes, deletes and server, -operation.path.count("/")


@pytest.mark.parametrize("targets", ["generated", "real"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_conforms(fuzzed: Fuzzed, mode: GenerationMode, targets: str) -> None:
    """Signed in as alice; path ids either generated, or alice's own objects (so the handlers
    get past the lookups and their success answers are checked too)."""
    operations = sorted(_operations(_load(fuzzed)), key=_deletes_last)
    assert len(operations) >= 30

    def run(case: Any) -> None:
        token = fuzzed.alice.token
        if case.operation.path == f"{PREFIX}/auth/logout":
            token = fuzzed.fresh_token(fuzzed.alice)  # logging out must not end the run
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    fixed = fuzzed.alice_targets() if targets == "real" else None
    failures = _failures(operations, mode, run, fixed)
    assert not failures, failures


def test_another_user_cannot_reach_victims_objects(fuzzed: Fuzzed) -> None:
    operations = [
        op
        for op in sorted(_operations(_load(fuzzed)), key=_deletes_last)
        if "{" in op.path and (op.method.upper(), op.path) not in NOT_OBJECT_SCOPED
    ]
    assert len(operations) >= 20

    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {fuzzed.mallory.token}"})
        assert response.status_code in (400, 404), (
            f"as a non-member: {response.status_code} {response.text[:300]}"
        )
        if response.status_code == 404:
            assert response.json()["message"] in NOT_FOUND_MESSAGES, response.text

    failures = _failures(operations, GenerationMode.POSITIVE, run, fuzzed.victim_targets)
    assert not failures, failures


NOT_FOUND_MESSAGES = {
    "Unknown server.",
    "Unknown channel.",
    "Unknown invite.",
    "Unknown file.",
    "Unknown bot.",
}


def test_victims_objects_survived(fuzzed: Fuzzed) -> None:
    t = fuzzed.victim_targets
    with httpx.Client(base_url=fuzzed.server.url + PREFIX, headers=_as(fuzzed.victim)) as http:
        server = http.get(f"/servers/{t['server_id']}").json()
        assert server["name"] == "Private" and server["member_count"] == 1, server
        assert server["owner_id"] == fuzzed.victim.id
        assert [c["id"] for c in server["channels"]] == [t["channel_id"]]
        history = http.get(f"/channels/{t['channel_id']}/messages").json()
        assert (history[0]["id"], history[0]["content"], history[0]["edited_at"]) == (
            t["message_id"],
            "secret plans",
            None,
        )
        assert [(m["content"], len(m["attachments"])) for m in history[1:]] == [("the map", 1)]
        invites = http.get(f"/servers/{t['server_id']}/invites").json()
        assert [(i["code"], i["uses"]) for i in invites] == [(t["code"], 0)]

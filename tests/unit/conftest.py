"""Wiring of the fakes into `Deps`, the use cases over them, and set-up helpers.

`world` (fixture) is a fresh `World`: every port faked, every use-case group built on the same
`Deps`. `crew` (fixture) is a world with one server holding a member of each role (two of each
below owner, so an actor always has a peer of its own rank to act on) and one outsider.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from discord_core.errors import DomainError
from discord_core.model import Role
from discord_core.usecases import (
    AdminUseCases,
    AuthUseCases,
    BlockUseCases,
    BotUseCases,
    ChannelUseCases,
    Deps,
    FileUseCases,
    GatewayUseCases,
    Identity,
    InviteUseCases,
    MemberUseCases,
    MessageUseCases,
    ModerationUseCases,
    PinUseCases,
    PrivateChannelUseCases,
    ReactionUseCases,
    ReadStateUseCases,
    SearchUseCases,
    ServerUseCases,
    UserUseCases,
)

from .fakes import (
    CodeSequence,
    FakeClock,
    FakeCommonPasswords,
    FakeDatabase,
    FakeEmojiCatalog,
    FakeFileStorage,
    FakeHasher,
    FakeIdGenerator,
    FakeMedia,
    FakePresence,
    FakeSigner,
    FakeTokenService,
    FakeUnitOfWorkFactory,
    RecordingPublisher,
)

PASSWORD = "correct horse battery"


@dataclass
class Fakes:
    db: FakeDatabase
    uow: FakeUnitOfWorkFactory
    ids: FakeIdGenerator
    clock: FakeClock
    events: RecordingPublisher
    hasher: FakeHasher
    tokens: FakeTokenService
    presence: FakePresence
    common_passwords: FakeCommonPasswords
    storage: FakeFileStorage
    media: FakeMedia
    signer: FakeSigner
    invite_codes: CodeSequence
    session_ids: CodeSequence


def make_deps() -> tuple[Deps, Fakes]:
    """`Deps` over fresh fakes, and the fakes themselves (to steer and inspect them)."""
    db = FakeDatabase()
    clock = FakeClock()
    events = RecordingPublisher(db)
    fakes = Fakes(
        db=db,
        uow=FakeUnitOfWorkFactory(db, events),
        ids=FakeIdGenerator(),
        clock=clock,
        events=events,
        hasher=FakeHasher(),
        tokens=FakeTokenService(clock),
        presence=FakePresence(),
        common_passwords=FakeCommonPasswords(),
        storage=FakeFileStorage(),
        media=FakeMedia(),
        signer=FakeSigner(),
        invite_codes=CodeSequence("inv"),
        session_ids=CodeSequence("sess"),
    )
    deps = Deps(
        uow=fakes.uow,
        ids=fakes.ids,
        clock=fakes.clock,
        events=fakes.events,
        hasher=fakes.hasher,
        tokens=fakes.tokens,
        presence=fakes.presence,
        common_passwords=fakes.common_passwords,
        storage=fakes.storage,
        media=fakes.media,
        signer=fakes.signer,
        emoji=FakeEmojiCatalog(),
        new_invite_code=fakes.invite_codes,
        new_session_id=fakes.session_ids,
    )
    return deps, fakes


class World:
    """Every use case over one set of fakes, plus set-up helpers."""

    def __init__(self) -> None:
        self.deps, self.fakes = make_deps()
        f = self.fakes
        self.db, self.clock, self.events = f.db, f.clock, f.events
        self.hasher, self.presence, self.tokens = f.hasher, f.presence, f.tokens
        self.storage, self.media = f.storage, f.media
        self.auth = AuthUseCases(self.deps)
        self.users = UserUseCases(self.deps)
        self.servers = ServerUseCases(self.deps)
        self.members = MemberUseCases(self.deps)
        self.moderation = ModerationUseCases(self.deps)
        self.invites = InviteUseCases(self.deps)
        self.channels = ChannelUseCases(self.deps)
        self.messages = MessageUseCases(self.deps)
        self.reactions = ReactionUseCases(self.deps)
        self.pins = PinUseCases(self.deps)
        self.read_states = ReadStateUseCases(self.deps)
        self.gateway = GatewayUseCases(self.deps)
        self.search = SearchUseCases(self.deps)
        self.files = FileUseCases(self.deps)
        self.admin = AdminUseCases(self.auth)
        self.bots = BotUseCases(self.deps)
        self.dms = PrivateChannelUseCases(self.deps)
        self.blocks = BlockUseCases(self.deps)
        self.tokens_of: dict[int, str] = {}

    async def register(self, username: str, *, password: str = PASSWORD) -> Identity:
        issued = await self.auth.register(username, f"{username}@example.com", password)
        self.tokens_of[issued.user.id] = issued.token
        return Identity(issued.user.id, issued.session.id)

    async def login(self, login: str, password: str = PASSWORD) -> Identity:
        issued = await self.auth.login(login, password)
        return Identity(issued.user.id, issued.session.id)

    async def server(self, owner: Identity, name: str = "Crew") -> tuple[int, int]:
        """A new server; returns (server id, id of its `general` channel)."""
        snap = await self.servers.create(owner, name)
        return snap.server.id, snap.channels[0].id

    async def join(self, who: Identity, server_id: int, inviter: Identity) -> None:
        invite = await self.invites.create(inviter, server_id, max_age=0)
        await self.invites.accept(who, invite.code)

    async def user_ids(self, server_id: int, viewer: Identity) -> list[int]:
        return [m.view.member.user_id for m in await self.members.list_members(viewer, server_id)]


@dataclass
class Crew:
    """A server with a member of each role; see the module docstring."""

    world: World
    server_id: int
    general_id: int
    owner: Identity
    admin: Identity
    admin2: Identity
    mod: Identity
    mod2: Identity
    member: Identity
    member2: Identity
    outsider: Identity

    def actor(self, role: Role | None) -> Identity:
        """The acting user of a role (None: the outsider)."""
        return {
            Role.OWNER: self.owner,
            Role.ADMIN: self.admin,
            Role.MODERATOR: self.mod,
            Role.MEMBER: self.member,
            None: self.outsider,
        }[role]

    def target(self, role: Role) -> Identity:
        """A user of a role other than the actor of that role (the owner is the only owner)."""
        return {
            Role.OWNER: self.owner,
            Role.ADMIN: self.admin2,
            Role.MODERATOR: self.mod2,
            Role.MEMBER: self.member2,
        }[role]


async def build_crew(world: World) -> Crew:
    names = ["owner", "admin", "admin2", "mod", "mod2", "member", "member2", "outsider"]
    people = {name: await world.register(name) for name in names}
    owner = people["owner"]
    server_id, general_id = await world.server(owner)
    invite = await world.invites.create(owner, server_id, max_age=0)
    for name in names[1:-1]:
        await world.invites.accept(people[name], invite.code)
    for name, role in [
        ("admin", Role.ADMIN),
        ("admin2", Role.ADMIN),
        ("mod", Role.MODERATOR),
        ("mod2", Role.MODERATOR),
    ]:
        await world.members.set_role(owner, server_id, people[name].user_id, role)
    await world.invites.revoke(owner, invite.code)
    world.events.clear()
    world.db.tables.audit_log.clear()  # the set-up's own entries: tests start with none
    return Crew(world, server_id, general_id, **people)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
async def crew(world: World) -> Crew:
    return await build_crew(world)


async def fails(
    call: Awaitable[Any] | Callable[[], Awaitable[Any]],
    error: type[DomainError],
    code: str,
    *,
    field: str | None = None,
) -> DomainError:
    """Await `call`, which must raise `error` with `code` (and `field`, when given)."""
    awaitable = call() if callable(call) else call
    with pytest.raises(error) as info:
        await awaitable
    assert type(info.value) is error, f"{type(info.value).__name__} is not {error.__name__}"
    assert info.value.code == code, f"code {info.value.code!r} != {code!r}"
    if field is not None:
        assert info.value.field == field, f"field {info.value.field!r} != {field!r}"
    return info.value


DAY = timedelta(days=1)

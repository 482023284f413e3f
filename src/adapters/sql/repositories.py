"""SQLAlchemy implementations of the core's repository ports.

Plain CRUD (insert one row, fetch one row by key, count by a column) goes through
advanced-alchemy's `SQLAlchemyAsyncRepository`. Everything else is an explicit SQLAlchemy
statement, because advanced-alchemy's generic methods would cost extra round trips or miss the
point of the query:

- updates and deletes are one `UPDATE` / `DELETE ... WHERE key` (AA's `update` and `delete`
  first SELECT the row and raise when it is gone; deletes here rely on ON DELETE CASCADE);
- keyset pagination of messages (`channel_id = ? AND id < ? ORDER BY id DESC LIMIT n`, served by
  the (channel_id, id) index) joined with the author's username;
- `get_with_member`: channel LEFT JOIN members LEFT JOIN users, one round trip;
- `InviteRepository.consume`: one conditional `UPDATE`, atomic under concurrency;
- `co_members`: one window-function query that keeps one row per distinct user.

Rows are mapped to the core's dataclasses here; the core never sees ORM objects (AA repositories
expunge what they load, so the session's identity map stays empty and never goes stale).
Every public method translates database errors (see `translate`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CursorResult,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from discord_core.events import Topic, TopicKind
from discord_core.files import FileKind, FileRef
from discord_core.model import (
    Attachment,
    AuditAction,
    AuditChange,
    AuditEntry,
    AuthSession,
    Ban,
    BanView,
    Bot,
    Channel,
    ChannelType,
    Invite,
    Member,
    MemberView,
    Message,
    MessageView,
    ReactionCount,
    Reactor,
    Role,
    Server,
    Snowflake,
    User,
    UserStatus,
)

from .driver import (
    AIOSQLITE,
    ASYNCPG,
    Driver,
    driver_rows,
    driver_sql,
    driver_values,
    for_drivers,
    sqlite_execute,
    sqlite_fetchone,
    sqlite_times,
)
from .models import (
    AttachmentRow,
    AuditLogRow,
    AuthSessionRow,
    BanRow,
    Base,
    BlockRow,
    BotRow,
    ChannelRecipientRow,
    ChannelRow,
    FileDeletionRow,
    InviteRow,
    MemberRow,
    MessageRow,
    ReactionRow,
    ServerRow,
    TopicSequenceRow,
    UserRow,
    metadata,
)
from .reads import add_mentions, mention_ids_of, mention_ids_text, replace_mentions
from .search import message_document
from .translate import translate_public_methods, translated

RowT = TypeVar("RowT", bound=Base)

_NO_SYNC = {"synchronize_session": False}


# --- advanced-alchemy repositories (one per table) ----------------------------------------


class _UserCrud(SQLAlchemyAsyncRepository[UserRow]):
    model_type = UserRow


class _BotCrud(SQLAlchemyAsyncRepository[BotRow]):
    model_type = BotRow
    id_attribute = "user_id"


class _SessionCrud(SQLAlchemyAsyncRepository[AuthSessionRow]):
    model_type = AuthSessionRow


class _ServerCrud(SQLAlchemyAsyncRepository[ServerRow]):
    model_type = ServerRow


class _MemberCrud(SQLAlchemyAsyncRepository[MemberRow]):
    model_type = MemberRow


class _BlockCrud(SQLAlchemyAsyncRepository[BlockRow]):
    model_type = BlockRow


class _ChannelCrud(SQLAlchemyAsyncRepository[ChannelRow]):
    model_type = ChannelRow


class _MessageCrud(SQLAlchemyAsyncRepository[MessageRow]):
    model_type = MessageRow


class _InviteCrud(SQLAlchemyAsyncRepository[InviteRow]):
    model_type = InviteRow
    id_attribute = "code"


class _AttachmentCrud(SQLAlchemyAsyncRepository[AttachmentRow]):
    model_type = AttachmentRow


class _BanCrud(SQLAlchemyAsyncRepository[BanRow]):
    model_type = BanRow


class _AuditCrud(SQLAlchemyAsyncRepository[AuditLogRow]):
    model_type = AuditLogRow


class _FileDeletionCrud(SQLAlchemyAsyncRepository[FileDeletionRow]):
    model_type = FileDeletionRow


# --- row <-> dataclass -----------------------------------------------------------------------


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        email=row.email,
        password_hash=row.password_hash,
        status=UserStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        avatar=row.avatar,
        disabled_at=row.disabled_at,
        deleted_at=row.deleted_at,
        bot=bool(row.bot),
    )


def _bot(row: BotRow) -> Bot:
    return Bot(
        user_id=row.user_id,
        owner_id=row.owner_id,
        token_id=row.token_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
    )


def _session(row: AuthSessionRow) -> AuthSession:
    return AuthSession(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _server(row: ServerRow) -> Server:
    return Server(
        id=row.id,
        name=row.name,
        description=row.description,
        owner_id=row.owner_id,
        created_at=row.created_at,
        icon=row.icon,
    )


def _member(row: MemberRow) -> Member:
    return Member(
        server_id=row.server_id,
        user_id=row.user_id,
        role=Role(row.role),
        joined_at=row.joined_at,
        communication_disabled_until=row.communication_disabled_until,
    )


_CHANNEL_TYPES = {kind.value: kind for kind in ChannelType}


PRIVATE_SERVER_ID = 0
"""What messages.server_id and attachments.server_id hold for a private channel's rows: those
columns are NOT NULL, and `messages` is never copied to relax it (SQLite would lose the search
index's triggers). No server has id 0; the core sees None."""


def stored_server_id(server_id: Snowflake | None) -> Snowflake:
    return PRIVATE_SERVER_ID if server_id is None else server_id


def _channel_of(columns: Any, kind: str, owner_id: Snowflake | None) -> Channel:
    """From (id, server_id, name, topic, position, created_at) and the type and owner."""
    cid, server_id, name, topic, position, created_at = columns
    return Channel(
        cid,
        server_id,
        name,
        topic,
        position,
        created_at,
        type=_CHANNEL_TYPES[kind],
        owner_id=owner_id,
    )


def _channel(row: ChannelRow) -> Channel:
    return Channel(
        id=row.id,
        server_id=row.server_id,
        name=row.name,
        topic=row.topic,
        position=row.position,
        created_at=row.created_at,
        type=_CHANNEL_TYPES[row.type],
        owner_id=row.owner_id,
    )


def _invite(row: InviteRow) -> Invite:
    return Invite(
        code=row.code,
        server_id=row.server_id,
        inviter_id=row.inviter_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
    )


_MEMBER_VIEW_COLUMNS = (
    MemberRow.server_id,
    MemberRow.user_id,
    MemberRow.role,
    MemberRow.joined_at,
    UserRow.username,
    UserRow.status,
    UserRow.avatar,
    UserRow.bot,
    MemberRow.communication_disabled_until,
)


_LAST_MESSAGE_ID = (
    select(func.max(MessageRow.id))
    .where(MessageRow.channel_id == ChannelRow.id)
    .correlate(ChannelRow)
    .scalar_subquery()
)
"""A channel's `last_message_id`: one backward step in the (channel_id, id) index."""
_CHANNEL_COLUMNS = (
    ChannelRow.id,
    ChannelRow.server_id,
    ChannelRow.name,
    ChannelRow.topic,
    ChannelRow.position,
    ChannelRow.created_at,
    ChannelRow.type,
    ChannelRow.owner_id,
    _LAST_MESSAGE_ID,
)
_CHANNELS = select(*_CHANNEL_COLUMNS)


def _channel_row(row: Any) -> Channel:
    """From a row of _CHANNEL_COLUMNS (by position)."""
    channel = _channel_of(row[:6], row[6], row[7])
    channel.last_message_id = row[8]
    return channel


# Built once: the two statements every message send runs (building a Select per call showed
# up in profiles); SQLAlchemy caches their compiled form.
_CHANNEL_WITH_MEMBER = (
    # The channel's columns with the membership's between its first six and the rest
    # (type, owner_id, last_message_id): get_with_member reads them by position.
    select(*_CHANNEL_COLUMNS[:6], *_MEMBER_VIEW_COLUMNS, *_CHANNEL_COLUMNS[6:])
    .select_from(ChannelRow)
    .outerjoin(
        MemberRow,
        and_(
            MemberRow.server_id == ChannelRow.server_id,
            MemberRow.user_id == bindparam("user_id"),
        ),
    )
    .outerjoin(UserRow, UserRow.id == MemberRow.user_id)
    .where(ChannelRow.id == bindparam("channel_id"))
)
_INSERT_MESSAGE = insert(metadata.tables["messages"])  # the table: Core, not the ORM bulk path
_INSERT_MESSAGE_SQLITE = driver_sql(_INSERT_MESSAGE, AIOSQLITE)
_INSERT_MESSAGE_PG = driver_sql(_INSERT_MESSAGE, ASYNCPG)


# Every message send runs this read first: it goes straight to the driver, which costs ~30 us
# of CPU instead of ~130 us through SQLAlchemy's execute on PostgreSQL, and one thread hop
# instead of three on SQLite (measured).
_CHANNEL_WITH_MEMBER_SQL = for_drivers(_CHANNEL_WITH_MEMBER)


# Row locks (ports.UnitOfWork: users, then servers). SQLite renders no FOR UPDATE: its writer
# already holds the whole database (BEGIN IMMEDIATE).
_GET_USER = select(
    UserRow.id,
    UserRow.username,
    UserRow.email,
    UserRow.password_hash,
    UserRow.status,
    UserRow.created_at,
    UserRow.updated_at,
    UserRow.avatar,
    UserRow.disabled_at,
    UserRow.deleted_at,
    UserRow.bot,
).where(UserRow.id == bindparam("id"))
"""A user by id, in columns (IDENTIFY reads one per socket: the ORM's entity path cost
~0.3 ms more per read)."""
_LOCK_USER = _GET_USER.with_for_update()
_GET_USER_SQL = for_drivers(_GET_USER)
_CHANNELS_OF_SERVERS = _CHANNELS.where(
    ChannelRow.server_id.in_(bindparam("server_ids", expanding=True))
).order_by(ChannelRow.server_id, ChannelRow.position, ChannelRow.id)


# IDENTIFY (and the offline announcement) runs these per socket: built once.
_SERVERS_OF_USER = (
    select(
        ServerRow.id,
        ServerRow.name,
        ServerRow.description,
        ServerRow.owner_id,
        ServerRow.created_at,
        ServerRow.icon,
        MemberRow.role,
        MemberRow.joined_at,
        MemberRow.communication_disabled_until,
    )
    .join(MemberRow, MemberRow.server_id == ServerRow.id)
    .where(MemberRow.user_id == bindparam("user_id"))
    .order_by(MemberRow.joined_at, ServerRow.id)
)
_EVERYONE = MemberRow.__table__.alias("everyone")
_COUNTED_SERVERS_SQL = for_drivers(
    _SERVERS_OF_USER.add_columns(
        select(func.count())
        .select_from(_EVERYONE)
        .where(_EVERYONE.c.server_id == ServerRow.id)
        .scalar_subquery()
    )
)
"""READY's servers with their member counts (one statement, one hop: the counts were a second
read per IDENTIFY)."""
_MEMBER_COUNTS = (
    select(MemberRow.server_id, func.count())
    .where(MemberRow.server_id.in_(bindparam("server_ids", expanding=True)))
    .group_by(MemberRow.server_id)
)
_SERVER_IDS_OF_USER = (
    select(MemberRow.server_id)
    .where(MemberRow.user_id == bindparam("user_id"))
    .order_by(MemberRow.server_id)
)
_PRIVATE_IDS_OF_USER = select(ChannelRecipientRow.channel_id).where(
    ChannelRecipientRow.user_id == bindparam("user_id")
)
_BLOCKED_IDS = (
    select(BlockRow.blocked_id)
    .where(BlockRow.user_id == bindparam("user_id"))
    .order_by(BlockRow.created_at, BlockRow.blocked_id)
)

_BLOCKED_IDS_SQL = for_drivers(_BLOCKED_IDS)


_CHANNELS_OF_MEMBER_SQL = for_drivers(
    _CHANNELS.where(
        ChannelRow.server_id.in_(
            select(MemberRow.server_id).where(MemberRow.user_id == bindparam("user_id"))
        )
    ).order_by(ChannelRow.server_id, ChannelRow.position, ChannelRow.id)
)
"""READY's channels, by the user's memberships (no list of ids to expand: compiled once)."""


def _user_of(row: Any) -> User | None:
    """A row of _GET_USER / _LOCK_USER."""
    if row is None:
        return None
    user_id, username, email, password_hash, status, created_at, updated_at, *rest = row
    return User(
        user_id,
        username,
        email,
        password_hash,
        _STATUSES[status],
        created_at,
        updated_at,
        avatar=rest[0],
        disabled_at=rest[1],
        deleted_at=rest[2],
        bot=bool(rest[3]),
    )


_LOCK_SERVER = (
    select(
        ServerRow.id,
        ServerRow.name,
        ServerRow.description,
        ServerRow.owner_id,
        ServerRow.created_at,
        ServerRow.icon,
    )
    .where(ServerRow.id == bindparam("id"))
    .with_for_update()
)


_ROLES = {role.value: role for role in Role}
_STATUSES = {status.value: status for status in UserStatus}
"""Value -> member: a dict lookup is ~10x cheaper than Enum(value), and READY builds a view
per co-member (7 % of an IDENTIFY's CPU, measured with py-spy)."""


def _member_view(row: Any) -> MemberView:
    """From a row of _MEMBER_VIEW_COLUMNS (by position)."""
    server_id, user_id, role, joined_at, username, status, avatar, bot, until = row[:9]
    return MemberView(
        member=Member(
            server_id=server_id,
            user_id=user_id,
            role=_ROLES[role],
            joined_at=joined_at,
            communication_disabled_until=until,
        ),
        username=username,
        status=_STATUSES[status],
        avatar=avatar,
        bot=bool(bot),
    )


_MESSAGE_VIEW_COLUMNS = (
    MessageRow.id,
    MessageRow.channel_id,
    MessageRow.server_id,
    MessageRow.author_id,
    MessageRow.content,
    MessageRow.created_at,
    MessageRow.edited_at,
    MessageRow.nonce,
    MessageRow.attachment_count,
    UserRow.username,
    UserRow.avatar,
    UserRow.bot,
    MessageRow.reference_id,
    MessageRow.pinned_at,
    MessageRow.mention_ids,
    MessageRow.mention_everyone,
)


def _message_view(row: Any) -> MessageView:
    """From a row of _MESSAGE_VIEW_COLUMNS (by position)."""
    (message_id, channel_id, server_id, author_id, content, created, edited, nonce, count) = row[:9]
    return MessageView(
        message=Message(
            id=message_id,
            channel_id=channel_id,
            server_id=server_id or None,
            author_id=author_id,
            content=content,
            created_at=created,
            edited_at=edited,
            nonce=nonce,
            attachment_count=count,
            reference_id=row[12],
            pinned_at=row[13],
            mentions=mention_ids_of(row[14]),
            mention_everyone=bool(row[15]),
        ),
        author_username=row[9],
        author_avatar=row[10],
        author_bot=bool(row[11]),
    )


# Statements are immutable: each query below builds on these.
_MESSAGE_VIEWS = select(*_MESSAGE_VIEW_COLUMNS).join(UserRow, UserRow.id == MessageRow.author_id)
_MEMBER_VIEWS = select(*_MEMBER_VIEW_COLUMNS).join(UserRow, UserRow.id == MemberRow.user_id)


def _co_members_statement(*, within: bool = False) -> Any:
    """Built once (IDENTIFY runs it; building it per call was 6 % of an IDENTIFY's CPU).
    `within`: only the user's servers among the expanding parameter "server_ids"."""
    mine_query = select(MemberRow.server_id).where(MemberRow.user_id == bindparam("user_id"))
    if within:
        mine_query = mine_query.where(
            MemberRow.server_id.in_(bindparam("server_ids", expanding=True))
        )
    mine = mine_query.scalar_subquery()
    ranked = (
        _MEMBER_VIEWS.add_columns(
            func.row_number()
            .over(partition_by=MemberRow.user_id, order_by=MemberRow.server_id)
            .label("rn")
        )
        .where(MemberRow.server_id.in_(mine))
        .subquery()
    )
    columns = (
        "server_id",
        "user_id",
        "role",
        "joined_at",
        "username",
        "status",
        "avatar",
        "bot",
        "communication_disabled_until",
    )
    return (
        select(*(ranked.c[name] for name in columns))
        .where(ranked.c.rn == 1)
        .order_by(ranked.c.user_id)
    )


_CO_MEMBERS = _co_members_statement()
_CO_MEMBERS_WITHIN = _co_members_statement(within=True)


# --- base ----------------------------------------------------------------------------------


class _Repository(Generic[RowT]):
    """Holds the unit of work's session; builds the advanced-alchemy repository on first use."""

    _crud_class: type[SQLAlchemyAsyncRepository[Any]]

    def __init__(self, session: AsyncSession, driver: Driver | None = None) -> None:
        self._session = session
        self._driver_connection = driver if driver is not None else Driver(session)
        self._crud_instance: SQLAlchemyAsyncRepository[RowT] | None = None

    @property
    def _crud(self) -> SQLAlchemyAsyncRepository[RowT]:
        if self._crud_instance is None:
            self._crud_instance = self._crud_class(
                session=self._session,
                auto_expunge=True,  # nothing stays in the identity map
                auto_refresh=False,  # the row is what we inserted; no SELECT after INSERT
                auto_commit=False,  # the unit of work commits
                wrap_exceptions=False,  # translate.py maps the raw errors
            )
        return self._crud_instance

    async def _insert(self, row: RowT) -> None:
        await self._crud.add(row)

    async def _execute(
        self, statement: Any, params: dict[str, Any] | list[dict[str, Any]] | None = None
    ) -> Any:
        """Run a Core statement (columns, not entities) on the unit of work's connection,
        in its transaction. Skipping the ORM's execute path (compile state, result setup)
        saves ~10 % of a message send's CPU; every caller selects columns or inserts."""
        connection = await self._session.connection()
        return await connection.execute(statement, params)

    async def _driver(self) -> tuple[str, Any]:
        """The dialect and the driver connection (asyncpg or aiosqlite) under the unit of
        work's session, for the few hot statements that skip SQLAlchemy's execute. Reads only:
        on PostgreSQL such a read runs in the session's transaction if one has begun on the
        driver, else on its own; both are READ COMMITTED reads of committed rows. On SQLite
        the writer's connection is in its BEGIN IMMEDIATE transaction already."""
        return await self._driver_connection.get()

    async def _changed(self, statement: Any) -> int:
        """Run an UPDATE / DELETE; the number of rows it touched."""
        result = await self._session.execute(statement, execution_options=_NO_SYNC)
        return cast(CursorResult[Any], result).rowcount


# --- repositories ----------------------------------------------------------------------------


@translate_public_methods
class SqlUserRepository(_Repository[UserRow]):
    _crud_class = _UserCrud

    async def add(self, user: User) -> None:
        await self._insert(
            UserRow(
                id=user.id,
                username=user.username,
                email=user.email,
                password_hash=user.password_hash,
                status=user.status.value,
                created_at=user.created_at,
                updated_at=user.updated_at,
                avatar=user.avatar,
                disabled_at=user.disabled_at,
                deleted_at=user.deleted_at,
                bot=user.bot,
            )
        )

    async def get(self, user_id: Snowflake) -> User | None:
        # Straight to the driver: IDENTIFY (and every token check that misses its cache)
        # reads a user; one thread hop on SQLite instead of four.
        rows = await driver_rows(self._session, _GET_USER_SQL, {"id": user_id})
        if not rows:
            return None
        return _user_of(sqlite_times(rows[0], 5, 6, 8, 9))

    async def lock(self, user_id: Snowflake) -> User | None:
        """SELECT ... FOR UPDATE on PostgreSQL; on SQLite the writer holds the database."""
        return _user_of((await self._execute(_LOCK_USER, {"id": user_id})).first())

    async def get_by_username(self, username: str) -> User | None:
        row = await self._crud.get_one_or_none(username=username)
        return _user(row) if row is not None else None

    async def get_by_email(self, email: str) -> User | None:
        row = await self._crud.get_one_or_none(email=email)
        return _user(row) if row is not None else None

    async def update(self, user: User) -> None:
        await self._changed(
            update(UserRow)
            .where(UserRow.id == user.id)
            .values(
                username=user.username,
                email=user.email,
                password_hash=user.password_hash,
                status=user.status.value,
                updated_at=user.updated_at,
                avatar=user.avatar,
                disabled_at=user.disabled_at,
                deleted_at=user.deleted_at,
            )
        )

    async def list_page(self, after: Snowflake, limit: int) -> list[User]:
        result = await self._session.execute(  # whole rows: the ORM's path
            select(UserRow).where(UserRow.id > after).order_by(UserRow.id).limit(limit)
        )
        return [_user(row) for row in result.scalars().all()]


@translate_public_methods
class SqlBotRepository(_Repository[BotRow]):
    _crud_class = _BotCrud

    async def add(self, bot: Bot) -> None:
        await self._insert(
            BotRow(
                user_id=bot.user_id,
                owner_id=bot.owner_id,
                token_id=bot.token_id,
                token_hash=bot.token_hash,
                created_at=bot.created_at,
            )
        )

    async def get(self, user_id: Snowflake) -> Bot | None:
        row = await self._crud.get_one_or_none(user_id=user_id)
        return _bot(row) if row is not None else None

    async def list_for_owner(self, owner_id: Snowflake) -> list[tuple[Bot, User]]:
        result = await self._session.execute(  # whole rows: the ORM's path
            select(BotRow, UserRow)
            .join(UserRow, UserRow.id == BotRow.user_id)
            .where(BotRow.owner_id == owner_id)
            .order_by(BotRow.user_id)
        )
        pairs = [(_bot(bot), _user(user)) for bot, user in result.all()]
        self._session.expunge_all()
        return pairs

    async def count_for_owner(self, owner_id: Snowflake) -> int:
        return await self._crud.count(BotRow.owner_id == owner_id)

    async def set_token(self, user_id: Snowflake, token_id: str, token_hash: str) -> None:
        await self._changed(
            update(BotRow)
            .where(BotRow.user_id == user_id)
            .values(token_id=token_id, token_hash=token_hash)
        )

    async def delete(self, user_id: Snowflake) -> None:
        await self._changed(delete(BotRow).where(BotRow.user_id == user_id))


@translate_public_methods
class SqlAuthSessionRepository(_Repository[AuthSessionRow]):
    _crud_class = _SessionCrud

    async def add(self, session: AuthSession) -> None:
        await self._insert(
            AuthSessionRow(
                id=session.id,
                user_id=session.user_id,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )

    async def get(self, session_id: str) -> AuthSession | None:
        row = await self._crud.get_one_or_none(id=session_id)
        return _session(row) if row is not None else None

    async def extend(self, session_id: str, expires_at: datetime) -> None:
        await self._changed(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id)
            .values(expires_at=expires_at)
        )

    async def revoke(self, session_id: str, now: datetime) -> None:
        await self._changed(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(
        self, user_id: Snowflake, now: datetime, *, keep: str | None = None
    ) -> list[str]:
        """Revoke the user's active sessions (not revoked, not expired) except `keep`."""
        conditions = [
            AuthSessionRow.user_id == user_id,
            AuthSessionRow.revoked_at.is_(None),
            AuthSessionRow.expires_at > now,
        ]
        if keep is not None:
            conditions.append(AuthSessionRow.id != keep)
        result = await self._session.execute(
            update(AuthSessionRow)
            .where(*conditions)
            .values(revoked_at=now)
            .returning(AuthSessionRow.id),
            execution_options=_NO_SYNC,
        )
        return sorted(result.scalars().all())


@translate_public_methods
class SqlServerRepository(_Repository[ServerRow]):
    _crud_class = _ServerCrud

    async def add(self, server: Server) -> None:
        await self._insert(
            ServerRow(
                id=server.id,
                name=server.name,
                description=server.description,
                owner_id=server.owner_id,
                created_at=server.created_at,
                icon=server.icon,
            )
        )

    async def get(self, server_id: Snowflake) -> Server | None:
        row = await self._crud.get_one_or_none(id=server_id)
        return _server(row) if row is not None else None

    async def lock(self, server_id: Snowflake) -> Server | None:
        """SELECT ... FOR UPDATE on PostgreSQL; on SQLite the writer holds the database."""
        result = await self._execute(_LOCK_SERVER, {"id": server_id})
        row = result.first()
        return Server(*row) if row is not None else None

    async def update(self, server: Server) -> None:
        await self._changed(
            update(ServerRow)
            .where(ServerRow.id == server.id)
            .values(
                name=server.name,
                description=server.description,
                owner_id=server.owner_id,
                icon=server.icon,
            )
        )

    async def delete(self, server_id: Snowflake) -> None:
        # Members, channels (and their messages) and invites go by ON DELETE CASCADE.
        await self._changed(delete(ServerRow).where(ServerRow.id == server_id))

    async def list_for_user_with_counts(
        self, user_id: Snowflake
    ) -> list[tuple[Server, Member, int]]:
        rows = await driver_rows(self._session, _COUNTED_SERVERS_SQL, {"user_id": user_id})
        out = []
        for row in rows:
            row = sqlite_times(row, 4, 7, 8)
            server = Server(*row[:6])
            out.append((server, Member(row[0], user_id, _ROLES[row[6]], row[7], row[8]), row[9]))
        return out

    async def list_for_user(self, user_id: Snowflake) -> list[tuple[Server, Member]]:
        result = await self._execute(_SERVERS_OF_USER, {"user_id": user_id})
        return [
            (Server(*row[:6]), Member(row[0], user_id, _ROLES[row[6]], row[7], row[8]))
            for row in result.all()
        ]

    async def list_page(self, after: Snowflake, limit: int) -> list[Server]:
        result = await self._session.execute(  # whole rows: the ORM's path
            select(ServerRow).where(ServerRow.id > after).order_by(ServerRow.id).limit(limit)
        )
        return [_server(row) for row in result.scalars().all()]


@translate_public_methods
class SqlMemberRepository(_Repository[MemberRow]):
    _crud_class = _MemberCrud

    async def add(self, member: Member) -> None:
        await self._insert(
            MemberRow(
                server_id=member.server_id,
                user_id=member.user_id,
                role=member.role.value,
                joined_at=member.joined_at,
                communication_disabled_until=member.communication_disabled_until,
            )
        )

    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Member | None:
        row = await self._crud.get_one_or_none(server_id=server_id, user_id=user_id)
        return _member(row) if row is not None else None

    async def get_view(self, server_id: Snowflake, user_id: Snowflake) -> MemberView | None:
        result = await self._execute(
            _MEMBER_VIEWS.where(MemberRow.server_id == server_id, MemberRow.user_id == user_id)
        )
        row = result.first()
        return _member_view(row) if row is not None else None

    async def set_role(self, server_id: Snowflake, user_id: Snowflake, role: Role) -> None:
        await self._changed(
            update(MemberRow)
            .where(MemberRow.server_id == server_id, MemberRow.user_id == user_id)
            .values(role=role.value)
        )

    async def set_timeout(
        self, server_id: Snowflake, user_id: Snowflake, until: datetime | None
    ) -> None:
        await self._changed(
            update(MemberRow)
            .where(MemberRow.server_id == server_id, MemberRow.user_id == user_id)
            .values(communication_disabled_until=until)
        )

    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> None:
        await self._changed(
            delete(MemberRow).where(MemberRow.server_id == server_id, MemberRow.user_id == user_id)
        )

    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[MemberView]:
        result = await self._execute(
            _MEMBER_VIEWS.where(MemberRow.server_id == server_id, MemberRow.user_id > after_user_id)
            .order_by(MemberRow.user_id)
            .limit(limit)
        )
        return [_member_view(row) for row in result.all()]

    async def count(self, server_id: Snowflake) -> int:
        return await self._crud.count(server_id=server_id)

    async def counts(self, server_ids: Sequence[Snowflake]) -> dict[Snowflake, int]:
        if not server_ids:
            return {}
        result = await self._execute(_MEMBER_COUNTS, {"server_ids": list(server_ids)})
        found: dict[Snowflake, int] = dict(result.all())
        return {server_id: found.get(server_id, 0) for server_id in server_ids}

    async def count_for_user(self, user_id: Snowflake) -> int:
        return await self._crud.count(user_id=user_id)

    async def server_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]:
        result = await self._execute(_SERVER_IDS_OF_USER, {"user_id": user_id})
        return list(result.scalars().all())

    async def share_a_server(self, a: Snowflake, b: Snowflake) -> bool:
        theirs = select(MemberRow.server_id).where(MemberRow.user_id == b)
        result = await self._execute(
            select(MemberRow.server_id)
            .where(MemberRow.user_id == a, MemberRow.server_id.in_(theirs))
            .limit(1)
        )
        return result.first() is not None

    async def among(self, server_id: Snowflake, user_ids: Sequence[Snowflake]) -> set[Snowflake]:
        if not user_ids:
            return set()
        result = await self._execute(
            select(MemberRow.user_id).where(
                MemberRow.server_id == server_id, MemberRow.user_id.in_(list(user_ids))
            )
        )
        return set(result.scalars().all())

    async def co_members(
        self, user_id: Snowflake, server_ids: Sequence[Snowflake] | None = None
    ) -> list[MemberView]:
        """One view per distinct user sharing a server with `user_id` (them included), with
        the membership of the lowest shared server id; ascending by user id. With
        `server_ids`, only those of the user's servers count."""
        if server_ids is None:
            result = await self._execute(_CO_MEMBERS, {"user_id": user_id})
        elif not server_ids:
            return []
        else:
            result = await self._execute(
                _CO_MEMBERS_WITHIN, {"user_id": user_id, "server_ids": list(server_ids)}
            )
        return [_member_view(row) for row in result.all()]


@translate_public_methods
class SqlChannelRepository(_Repository[ChannelRow]):
    _crud_class = _ChannelCrud

    async def add(self, channel: Channel) -> None:
        await self._insert(
            ChannelRow(
                id=channel.id,
                server_id=channel.server_id,
                name=channel.name,
                topic=channel.topic,
                position=channel.position,
                created_at=channel.created_at,
            )
        )

    async def get(self, channel_id: Snowflake) -> Channel | None:
        row = (await self._execute(_CHANNELS.where(ChannelRow.id == channel_id))).first()
        return _channel_row(row) if row is not None else None

    async def get_with_member(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> tuple[Channel, MemberView | None] | None:
        params = {"channel_id": channel_id, "user_id": user_id}
        dialect, driver = await self._driver()
        entry = _CHANNEL_WITH_MEMBER_SQL[dialect]
        sql, values = entry[0], driver_values(entry, params)
        if dialect == "postgresql":
            row = await driver.fetchrow(sql, *values)
        else:
            row = await driver._execute(sqlite_fetchone, driver, sql, values)
            if row is not None:
                row = sqlite_times(row, 5, 9, 14)
        if row is None:
            return None
        channel = _channel_of(row[:6], row[15], row[16])
        channel.last_message_id = row[17]
        view = _member_view(row[6:]) if row[7] is not None else None
        return channel, view

    async def update(self, channel: Channel) -> None:
        await self._changed(
            update(ChannelRow)
            .where(ChannelRow.id == channel.id)
            .values(name=channel.name, topic=channel.topic, position=channel.position)
        )

    async def delete(self, channel_id: Snowflake) -> None:
        # Messages go by ON DELETE CASCADE.
        await self._changed(delete(ChannelRow).where(ChannelRow.id == channel_id))

    async def list_for_server(self, server_id: Snowflake) -> list[Channel]:
        result = await self._execute(
            _CHANNELS.where(ChannelRow.server_id == server_id).order_by(
                ChannelRow.position, ChannelRow.id
            )
        )
        return [_channel_row(row) for row in result.all()]

    async def list_for_servers(self, server_ids: Sequence[Snowflake]) -> list[Channel]:
        if not server_ids:
            return []
        result = await self._execute(_CHANNELS_OF_SERVERS, {"server_ids": list(server_ids)})
        return [_channel_row(row) for row in result.all()]

    async def list_for_member(self, user_id: Snowflake) -> list[Channel]:
        rows = await driver_rows(self._session, _CHANNELS_OF_MEMBER_SQL, {"user_id": user_id})
        return [_channel_row(sqlite_times(row, 5)) for row in rows]

    async def count_for_server(self, server_id: Snowflake) -> int:
        return await self._crud.count(server_id=server_id)

    async def add_private(self, channel: Channel, dm_key: str | None) -> None:
        await self._insert(
            ChannelRow(
                id=channel.id,
                server_id=None,
                name=channel.name,
                topic=channel.topic,
                position=0,
                created_at=channel.created_at,
                type=channel.type.value,
                owner_id=channel.owner_id,
                dm_key=dm_key,
            )
        )
        # The channel row first: the recipients' foreign key needs it (no ORM flush order).
        await self._session.flush()
        await self._execute(
            insert(ChannelRecipientRow),
            [
                {"channel_id": channel.id, "user_id": user.id, "added_at": channel.created_at}
                for user in channel.recipients
            ],
        )

    async def find_dm(self, dm_key: str) -> Channel | None:
        row = (await self._execute(_CHANNELS.where(ChannelRow.dm_key == dm_key))).first()
        return await self.with_recipients(_channel_row(row)) if row is not None else None

    async def with_recipients(self, channel: Channel) -> Channel:
        found = await self._recipients([channel.id])
        channel.recipients = found.get(channel.id, [])
        return channel

    async def _recipients(self, channel_ids: Sequence[Snowflake]) -> dict[Snowflake, list[User]]:
        result = await self._execute(_RECIPIENTS, {"channel_ids": list(channel_ids)})
        found: dict[Snowflake, list[User]] = {}
        for row in result.all():
            user = _user_of(row[1:])
            assert user is not None
            found.setdefault(row[0], []).append(user)
        return found

    async def lock_private(self, channel_id: Snowflake) -> Channel | None:
        result = await self._execute(_LOCK_PRIVATE, {"id": channel_id})
        row = result.first()
        if row is None:
            return None
        return _channel_of(row[:6], row[6], row[7])

    async def add_recipient(self, channel_id: Snowflake, user_id: Snowflake, at: datetime) -> None:
        await self._execute(
            insert(ChannelRecipientRow),
            {"channel_id": channel_id, "user_id": user_id, "added_at": at},
        )

    async def set_owner(self, channel_id: Snowflake, owner_id: Snowflake) -> None:
        await self._changed(
            update(ChannelRow).where(ChannelRow.id == channel_id).values(owner_id=owner_id)
        )

    async def remove_recipient(self, channel_id: Snowflake, user_id: Snowflake) -> bool:
        return (
            await self._changed(
                delete(ChannelRecipientRow).where(
                    ChannelRecipientRow.channel_id == channel_id,
                    ChannelRecipientRow.user_id == user_id,
                )
            )
            > 0
        )

    async def private_for_user(self, user_id: Snowflake) -> list[Channel]:
        result = await self._execute(_PRIVATE_OF_USER, {"user_id": user_id})
        channels = [_channel_row(row) for row in result.all()]
        if channels:
            found = await self._recipients([c.id for c in channels])
            for channel in channels:
                channel.recipients = found.get(channel.id, [])
        return channels

    async def private_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]:
        result = await self._execute(_PRIVATE_IDS_OF_USER, {"user_id": user_id})
        return list(result.scalars().all())


_LOCK_PRIVATE = (
    select(*_CHANNEL_COLUMNS[:8])  # no last_message_id: FOR UPDATE takes no aggregate
    .where(ChannelRow.id == bindparam("id"), ChannelRow.server_id.is_(None))
    .with_for_update()
)
_LAST_ACTIVITY = func.coalesce(_LAST_MESSAGE_ID, ChannelRow.id)
"""A channel's newest message id (each index lookup is one step of (channel_id, id)), or its
own id: both are times, so channels sort by last activity."""
_PRIVATE_OF_USER = (
    _CHANNELS.join(ChannelRecipientRow, ChannelRecipientRow.channel_id == ChannelRow.id)
    .where(ChannelRecipientRow.user_id == bindparam("user_id"))
    .order_by(_LAST_ACTIVITY.desc())
)
_RECIPIENTS = (
    select(ChannelRecipientRow.channel_id, *_GET_USER.selected_columns)
    .join(UserRow, UserRow.id == ChannelRecipientRow.user_id)
    .where(ChannelRecipientRow.channel_id.in_(bindparam("channel_ids", expanding=True)))
    .order_by(ChannelRecipientRow.channel_id, ChannelRecipientRow.added_at, UserRow.id)
)


@translate_public_methods
class SqlBlockRepository(_Repository[BlockRow]):
    _crud_class = _BlockCrud

    async def add(self, user_id: Snowflake, blocked_id: Snowflake, at: datetime) -> bool:
        if await self._crud.exists(user_id=user_id, blocked_id=blocked_id):
            return False
        await self._insert(BlockRow(user_id=user_id, blocked_id=blocked_id, created_at=at))
        return True

    async def remove(self, user_id: Snowflake, blocked_id: Snowflake) -> bool:
        statement = delete(BlockRow).where(
            BlockRow.user_id == user_id, BlockRow.blocked_id == blocked_id
        )
        return await self._changed(statement) > 0

    async def blocked_ids(self, user_id: Snowflake) -> list[Snowflake]:
        rows = await driver_rows(self._session, _BLOCKED_IDS_SQL, {"user_id": user_id})
        return [row[0] for row in rows]

    async def count(self, user_id: Snowflake) -> int:
        return await self._crud.count(user_id=user_id)

    async def either_way(self, a: Snowflake, b: Snowflake) -> bool:
        result = await self._execute(
            select(BlockRow.user_id)
            .where(
                ((BlockRow.user_id == a) & (BlockRow.blocked_id == b))
                | ((BlockRow.user_id == b) & (BlockRow.blocked_id == a))
            )
            .limit(1)
        )
        return result.first() is not None


@translate_public_methods
class SqlMessageRepository(_Repository[MessageRow]):
    _crud_class = _MessageCrud

    async def add(self, message: Message) -> None:
        # The hottest write, straight to the driver: on SQLite one thread hop, not three; on
        # PostgreSQL deferred to the unit of work's next statement or its commit, where a
        # plain send's insert and its outbox row go out as one statement (see Driver.defer).
        params = {
            "id": message.id,
            "channel_id": message.channel_id,
            "server_id": stored_server_id(message.server_id),
            "author_id": message.author_id,
            "content": message.content,
            "created_at": message.created_at,
            "edited_at": message.edited_at,
            "nonce": message.nonce,
            # The search index follows this column (adapters/sql/search.py).
            "search_text": message_document(message),
            "attachment_count": message.attachment_count,
            "reference_id": message.reference_id,
            "pinned_at": message.pinned_at,
            "mention_ids": mention_ids_text(message),
            "mention_everyone": message.mention_everyone,
        }
        dialect, driver = await self._driver()
        if dialect == "sqlite":
            sql = _INSERT_MESSAGE_SQLITE
            await driver._execute(sqlite_execute, driver, sql[0], driver_values(sql, params))
        else:
            sql = _INSERT_MESSAGE_PG
            await self._driver_connection.defer(sql[0], driver_values(sql, params))
        if message.mentions:
            await add_mentions(self._session, message)

    async def get(self, message_id: Snowflake) -> MessageView | None:
        result = await self._execute(_MESSAGE_VIEWS.where(MessageRow.id == message_id))
        row = result.first()
        return _message_view(row) if row is not None else None

    async def views(self, message_ids: Sequence[Snowflake]) -> list[MessageView]:
        """The messages with these ids that exist, in the order of `message_ids`."""
        if not message_ids:
            return []
        result = await self._execute(_MESSAGE_VIEWS.where(MessageRow.id.in_(list(message_ids))))
        found = {view.message.id: view for view in map(_message_view, result.all())}
        return [found[i] for i in message_ids if i in found]

    async def get_by_nonce(self, author_id: Snowflake, nonce: str) -> MessageView | None:
        result = await self._execute(
            _MESSAGE_VIEWS.where(MessageRow.author_id == author_id, MessageRow.nonce == nonce)
        )
        row = result.first()
        return _message_view(row) if row is not None else None

    async def update(self, message: Message) -> None:
        result = await self._execute(
            update(MessageRow)
            .where(MessageRow.id == message.id)
            .values(
                content=message.content,
                edited_at=message.edited_at,
                search_text=message_document(message),
                mention_ids=mention_ids_text(message),
                mention_everyone=message.mention_everyone,
            )
            .returning(MessageRow.id)
        )
        if result.first() is not None:
            await replace_mentions(self._session, message, before=True)

    async def delete(self, message_id: Snowflake) -> None:
        await self._changed(delete(MessageRow).where(MessageRow.id == message_id))

    async def list_before(
        self, channel_id: Snowflake, before: Snowflake | None, limit: int
    ) -> list[MessageView]:
        statement = _MESSAGE_VIEWS.where(MessageRow.channel_id == channel_id)
        if before is not None:
            statement = statement.where(MessageRow.id < before)
        result = await self._execute(statement.order_by(MessageRow.id.desc()).limit(limit))
        return [_message_view(row) for row in result.all()]

    async def list_after(
        self, channel_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        result = await self._execute(
            _MESSAGE_VIEWS.where(MessageRow.channel_id == channel_id, MessageRow.id > after)
            .order_by(MessageRow.id.asc())
            .limit(limit)
        )
        return [_message_view(row) for row in result.all()]

    async def recent_by_author(
        self, server_id: Snowflake, author_id: Snowflake, since: datetime
    ) -> list[Message]:
        result = await self._execute(
            select(
                MessageRow.id,
                MessageRow.channel_id,
                MessageRow.server_id,
                MessageRow.author_id,
                MessageRow.content,
                MessageRow.created_at,
                MessageRow.edited_at,
                MessageRow.nonce,
                MessageRow.attachment_count,
            )
            .where(
                MessageRow.author_id == author_id,
                MessageRow.server_id == server_id,
                MessageRow.created_at >= since,
            )
            .order_by(MessageRow.id)
        )
        return [Message(*row) for row in result.all()]

    async def list_by_author(
        self, author_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        result = await self._execute(
            _MESSAGE_VIEWS.where(MessageRow.author_id == author_id, MessageRow.id > after)
            .order_by(MessageRow.id.asc())
            .limit(limit)
        )
        return [_message_view(row) for row in result.all()]

    async def lock(self, message_id: Snowflake) -> Message | None:
        result = await self._execute(_LOCK_MESSAGE, {"id": message_id})
        row = result.first()
        if row is None:
            return None
        return Message(
            id=row.id,
            channel_id=row.channel_id,
            server_id=row.server_id,
            author_id=row.author_id,
            content=row.content,
            created_at=row.created_at,
            edited_at=row.edited_at,
            nonce=row.nonce,
            attachment_count=row.attachment_count,
            reference_id=row.reference_id,
            pinned_at=row.pinned_at,
        )

    async def set_pinned(self, message_id: Snowflake, pinned_at: datetime | None) -> None:
        await self._changed(
            update(MessageRow).where(MessageRow.id == message_id).values(pinned_at=pinned_at)
        )

    async def count_pinned(self, channel_id: Snowflake) -> int:
        result = await self._execute(
            select(func.count())
            .select_from(MessageRow)
            .where(MessageRow.channel_id == channel_id, MessageRow.pinned_at.is_not(None))
        )
        return int(result.scalar_one())

    async def list_pinned(self, channel_id: Snowflake, limit: int) -> list[MessageView]:
        result = await self._execute(
            _MESSAGE_VIEWS.where(
                MessageRow.channel_id == channel_id, MessageRow.pinned_at.is_not(None)
            )
            .order_by(MessageRow.pinned_at.desc(), MessageRow.id.desc())
            .limit(limit)
        )
        return [_message_view(row) for row in result.all()]

    async def delete_many(self, message_ids: Sequence[Snowflake]) -> None:
        ids = list(message_ids)
        for start in range(0, len(ids), 500):  # bounded statements (SQLite's parameter cap)
            await self._changed(
                delete(MessageRow).where(MessageRow.id.in_(ids[start : start + 500]))
            )


@translate_public_methods
class SqlBanRepository(_Repository[BanRow]):
    _crud_class = _BanCrud

    async def add(self, ban: Ban) -> None:
        await self._insert(
            BanRow(
                server_id=ban.server_id,
                user_id=ban.user_id,
                reason=ban.reason,
                actor_id=ban.actor_id,
                created_at=ban.created_at,
            )
        )

    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Ban | None:
        result = await self._execute(
            select(
                BanRow.server_id, BanRow.user_id, BanRow.reason, BanRow.actor_id, BanRow.created_at
            ).where(BanRow.server_id == server_id, BanRow.user_id == user_id)
        )
        row = result.first()
        return Ban(*row) if row is not None else None

    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> bool:
        changed = await self._changed(
            delete(BanRow).where(BanRow.server_id == server_id, BanRow.user_id == user_id)
        )
        return changed > 0

    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[BanView]:
        result = await self._execute(
            select(
                BanRow.server_id,
                BanRow.user_id,
                BanRow.reason,
                BanRow.actor_id,
                BanRow.created_at,
                UserRow.username,
                UserRow.avatar,
            )
            .join(UserRow, UserRow.id == BanRow.user_id)
            .where(BanRow.server_id == server_id, BanRow.user_id > after_user_id)
            .order_by(BanRow.user_id)
            .limit(limit)
        )
        return [BanView(Ban(*row[:5]), row[5], row[6]) for row in result.all()]


_ACTIONS = {action.value: action for action in AuditAction}
_INSERT_AUDIT = insert(metadata.tables["audit_log"])


def _changes_json(changes: Sequence[AuditChange]) -> str:
    return json.dumps(
        [{"key": c.key, "old_value": c.old_value, "new_value": c.new_value} for c in changes],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _changes(text: str) -> tuple[AuditChange, ...]:
    return tuple(
        AuditChange(item["key"], item.get("old_value"), item.get("new_value"))
        for item in json.loads(text)
    )


@translate_public_methods
class SqlAuditLogRepository(_Repository[AuditLogRow]):
    _crud_class = _AuditCrud

    async def add(self, entry: AuditEntry) -> None:
        await self._execute(
            _INSERT_AUDIT,
            {
                "id": entry.id,
                "server_id": entry.server_id,
                "action": entry.action.value,
                "actor_id": entry.actor_id,
                "target_id": entry.target_id,
                "changes": _changes_json(entry.changes),
                "reason": entry.reason,
                "created_at": entry.created_at,
            },
        )

    async def list_page(
        self,
        server_id: Snowflake,
        *,
        before: Snowflake | None,
        limit: int,
        action: AuditAction | None = None,
        actor_id: Snowflake | None = None,
    ) -> list[AuditEntry]:
        statement = select(
            AuditLogRow.id,
            AuditLogRow.server_id,
            AuditLogRow.action,
            AuditLogRow.actor_id,
            AuditLogRow.target_id,
            AuditLogRow.created_at,
            AuditLogRow.changes,
            AuditLogRow.reason,
        ).where(AuditLogRow.server_id == server_id)
        if before is not None:
            statement = statement.where(AuditLogRow.id < before)
        if action is not None:
            statement = statement.where(AuditLogRow.action == action.value)
        if actor_id is not None:
            statement = statement.where(AuditLogRow.actor_id == actor_id)
        result = await self._execute(statement.order_by(AuditLogRow.id.desc()).limit(limit))
        return [
            AuditEntry(
                id=row[0],
                server_id=row[1],
                action=_ACTIONS[row[2]],
                actor_id=row[3],
                target_id=row[4],
                created_at=row[5],
                changes=_changes(row[6]),
                reason=row[7],
            )
            for row in result.all()
        ]


_LOCK_MESSAGE = (
    select(
        MessageRow.id,
        MessageRow.channel_id,
        MessageRow.server_id,
        MessageRow.author_id,
        MessageRow.content,
        MessageRow.created_at,
        MessageRow.edited_at,
        MessageRow.nonce,
        MessageRow.attachment_count,
        MessageRow.reference_id,
        MessageRow.pinned_at,
    )
    .where(MessageRow.id == bindparam("id"))
    .with_for_update()
)
_REACTIONS = metadata.tables["reactions"]


class _ReactionCrud(SQLAlchemyAsyncRepository[ReactionRow]):
    model_type = ReactionRow


@translate_public_methods
class SqlReactionRepository(_Repository[ReactionRow]):
    """Counts are counted from the rows in the query that reads them (GROUP BY over the
    primary key's (message_id, emoji, ...) prefix), so they are exact whatever ran
    concurrently."""

    _crud_class = _ReactionCrud

    def _insert_ignoring_duplicates(self) -> Any:
        dialect = self._session.get_bind().dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        return insert_into(_REACTIONS).on_conflict_do_nothing()

    async def add(
        self, message_id: Snowflake, user_id: Snowflake, emoji: str, created_at: datetime
    ) -> bool:
        result = await self._execute(
            self._insert_ignoring_duplicates(),
            {
                "message_id": message_id,
                "emoji": emoji,
                "user_id": user_id,
                "created_at": created_at,
            },
        )
        return bool(result.rowcount == 1)

    async def remove(self, message_id: Snowflake, user_id: Snowflake, emoji: str) -> bool:
        changed = await self._changed(
            delete(ReactionRow).where(
                ReactionRow.message_id == message_id,
                ReactionRow.emoji == emoji,
                ReactionRow.user_id == user_id,
            )
        )
        return changed == 1

    async def remove_emoji(self, message_id: Snowflake, emoji: str) -> int:
        return await self._changed(
            delete(ReactionRow).where(
                ReactionRow.message_id == message_id, ReactionRow.emoji == emoji
            )
        )

    async def remove_all(self, message_id: Snowflake) -> int:
        return await self._changed(delete(ReactionRow).where(ReactionRow.message_id == message_id))

    async def emoji_of(self, message_id: Snowflake) -> list[str]:
        result = await self._execute(
            select(ReactionRow.emoji).where(ReactionRow.message_id == message_id).distinct()
        )
        return [row[0] for row in result.all()]

    async def for_messages(
        self, message_ids: Sequence[Snowflake], viewer: Snowflake
    ) -> dict[Snowflake, list[ReactionCount]]:
        if not message_ids:
            return {}
        mine = func.max(case((ReactionRow.user_id == viewer, 1), else_=0))
        first = func.min(ReactionRow.created_at)
        result = await self._execute(
            select(ReactionRow.message_id, ReactionRow.emoji, func.count(), mine)
            .where(ReactionRow.message_id.in_(list(message_ids)))
            .group_by(ReactionRow.message_id, ReactionRow.emoji)
            .order_by(ReactionRow.message_id, first, ReactionRow.emoji)
        )
        found: dict[Snowflake, list[ReactionCount]] = {}
        for message_id, emoji, count, me in result.all():
            found.setdefault(message_id, []).append(ReactionCount(emoji, int(count), bool(me)))
        return found

    async def users(
        self, message_id: Snowflake, emoji: str, *, after: Snowflake, limit: int
    ) -> list[Reactor]:
        result = await self._execute(
            select(ReactionRow.user_id, UserRow.username, UserRow.avatar)
            .join(UserRow, UserRow.id == ReactionRow.user_id)
            .where(
                ReactionRow.message_id == message_id,
                ReactionRow.emoji == emoji,
                ReactionRow.user_id > after,
            )
            .order_by(ReactionRow.user_id)
            .limit(limit)
        )
        return [Reactor(row[0], row[1], row[2]) for row in result.all()]


@translate_public_methods
class SqlInviteRepository(_Repository[InviteRow]):
    _crud_class = _InviteCrud

    async def add(self, invite: Invite) -> None:
        await self._insert(
            InviteRow(
                code=invite.code,
                server_id=invite.server_id,
                inviter_id=invite.inviter_id,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
                max_uses=invite.max_uses,
                uses=invite.uses,
            )
        )

    async def get(self, code: str) -> Invite | None:
        row = await self._crud.get_one_or_none(code=code)
        return _invite(row) if row is not None else None

    async def delete(self, code: str) -> None:
        await self._changed(delete(InviteRow).where(InviteRow.code == code))

    async def list_for_server(self, server_id: Snowflake) -> list[Invite]:
        rows = await self._crud.get_many(
            InviteRow.server_id == server_id,
            order_by=[(InviteRow.created_at, False), (InviteRow.code, False)],
        )
        return [_invite(row) for row in rows]

    async def count_for_server(self, server_id: Snowflake) -> int:
        return await self._crud.count(server_id=server_id)

    async def purge_unusable(self, server_id: Snowflake, now: datetime) -> int:
        return await self._changed(
            delete(InviteRow).where(
                InviteRow.server_id == server_id,
                or_(
                    InviteRow.expires_at <= now,
                    and_(InviteRow.max_uses > 0, InviteRow.uses >= InviteRow.max_uses),
                ),
            )
        )

    async def consume(self, code: str, now: datetime) -> bool:
        """One conditional UPDATE: the database serialises concurrent consumers on the row, and
        each re-checks `uses < max_uses` after the previous one committed."""
        changed = await self._changed(
            update(InviteRow)
            .where(
                InviteRow.code == code,
                or_(InviteRow.expires_at.is_(None), InviteRow.expires_at > now),
                or_(InviteRow.max_uses == 0, InviteRow.uses < InviteRow.max_uses),
            )
            .values(uses=InviteRow.uses + 1)
        )
        return changed == 1


def _attachment(row: Any) -> Attachment:
    return Attachment(
        id=row.id,
        message_id=row.message_id,
        channel_id=row.channel_id,
        server_id=row.server_id or None,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        has_thumbnail=row.has_thumbnail,
    )


_ATTACHMENTS = select(*AttachmentRow.__table__.columns)
_INSERT_ATTACHMENT = insert(metadata.tables["attachments"])


@translate_public_methods
class SqlAttachmentRepository(_Repository[AttachmentRow]):
    _crud_class = _AttachmentCrud

    async def add_many(self, attachments: Sequence[Attachment]) -> None:
        if not attachments:
            return
        await self._execute(
            _INSERT_ATTACHMENT,
            [
                {
                    "id": a.id,
                    "message_id": a.message_id,
                    "channel_id": a.channel_id,
                    "server_id": stored_server_id(a.server_id),
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "width": a.width,
                    "height": a.height,
                    "has_thumbnail": a.has_thumbnail,
                }
                for a in attachments
            ],
        )

    async def get(self, attachment_id: Snowflake) -> Attachment | None:
        result = await self._execute(_ATTACHMENTS.where(AttachmentRow.id == attachment_id))
        row = result.first()
        return _attachment(row) if row is not None else None

    async def for_messages(
        self, message_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, list[Attachment]]:
        if not message_ids:
            return {}
        result = await self._execute(
            _ATTACHMENTS.where(AttachmentRow.message_id.in_(list(message_ids))).order_by(
                AttachmentRow.id
            )
        )
        found: dict[Snowflake, list[Attachment]] = {}
        for row in result.all():
            found.setdefault(row.message_id, []).append(_attachment(row))
        return found


_REF_COLUMNS = (FileDeletionRow.kind, FileDeletionRow.ref, FileDeletionRow.version)


def _ref_values(refs: Sequence[FileRef]) -> list[tuple[str, int, str]]:
    return [(ref.kind.value, ref.ref, ref.version) for ref in refs]


@translate_public_methods
class SqlFileDeletionRepository(_Repository[FileDeletionRow]):
    """Upserts differ by dialect (ON CONFLICT on both, LEAST vs min for the due time)."""

    _crud_class = _FileDeletionCrud

    def _insert_statement(self) -> Any:
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql_insert(FileDeletionRow)
        return sqlite_insert(FileDeletionRow)

    def _earliest(self, current: Any, new: Any) -> Any:
        dialect = self._session.get_bind().dialect.name
        return func.least(current, new) if dialect == "postgresql" else func.min(current, new)

    async def schedule(self, refs: Sequence[FileRef], due_at: datetime) -> None:
        if not refs:
            return
        statement = self._insert_statement().values(
            [
                {"kind": kind, "ref": ref, "version": version, "due_at": due_at}
                for kind, ref, version in _ref_values(refs)
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "ref", "version"],
            set_={"due_at": self._earliest(FileDeletionRow.due_at, statement.excluded.due_at)},
        )
        await self._session.execute(statement, execution_options=_NO_SYNC)

    async def cancel(self, refs: Sequence[FileRef]) -> None:
        if not refs:
            return
        await self._changed(
            delete(FileDeletionRow).where(tuple_(*_REF_COLUMNS).in_(_ref_values(refs)))
        )

    async def schedule_message(self, message_id: Snowflake, due_at: datetime) -> list[FileRef]:
        result = await self._execute(
            select(AttachmentRow.id)
            .where(AttachmentRow.message_id == message_id)
            .order_by(AttachmentRow.id)
        )
        refs = [FileRef(FileKind.ATTACHMENT, attachment_id) for attachment_id in result.scalars()]
        await self.schedule(refs, due_at)
        return refs

    async def schedule_channel(self, channel_id: Snowflake, due_at: datetime) -> None:
        await self._lock_channels(ChannelRow.id == channel_id)
        await self._schedule_attachments(AttachmentRow.channel_id == channel_id, due_at)

    async def schedule_server(self, server_id: Snowflake, due_at: datetime) -> None:
        await self._lock_channels(ChannelRow.server_id == server_id)
        await self._schedule_attachments(AttachmentRow.server_id == server_id, due_at)
        icon = select(
            literal(FileKind.ICON.value), ServerRow.id, ServerRow.icon, _due(due_at)
        ).where(ServerRow.id == server_id, ServerRow.icon.is_not(None))
        await self._insert_selected(icon)

    async def _lock_channels(self, condition: Any) -> None:
        """PostgreSQL: lock the channel rows first. A post in flight holds a key-share lock on
        its channel (the messages foreign key), so this waits for it to commit, and the
        INSERT ... SELECT below then sees its attachments; posts after it wait for the delete
        and find the channel gone. (SQLite has one writer: nothing to do.)"""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._execute(select(ChannelRow.id).where(condition).with_for_update())

    async def _schedule_attachments(self, condition: Any, due_at: datetime) -> None:
        selected = select(
            literal(FileKind.ATTACHMENT.value), AttachmentRow.id, literal(""), _due(due_at)
        ).where(condition)
        await self._insert_selected(selected)

    async def _insert_selected(self, selected: Any) -> None:
        statement = (
            self._insert_statement()
            .from_select(["kind", "ref", "version", "due_at"], selected)
            .on_conflict_do_nothing(index_elements=["kind", "ref", "version"])
        )
        await self._session.execute(statement, execution_options=_NO_SYNC)

    async def due(self, now: datetime, limit: int) -> list[FileRef]:
        result = await self._execute(
            select(*_REF_COLUMNS)
            .where(FileDeletionRow.due_at <= now)
            .order_by(FileDeletionRow.due_at)
            .limit(limit)
        )
        return [FileRef(FileKind(kind), ref, version) for kind, ref, version in result.all()]

    async def still_named(self, refs: Sequence[FileRef]) -> list[FileRef]:
        by_kind: dict[FileKind, list[FileRef]] = {}
        for ref in refs:
            by_kind.setdefault(ref.kind, []).append(ref)
        named: set[FileRef] = set()
        if attachments := by_kind.get(FileKind.ATTACHMENT):
            result = await self._execute(
                select(AttachmentRow.id).where(AttachmentRow.id.in_([r.ref for r in attachments]))
            )
            named.update(FileRef(FileKind.ATTACHMENT, i) for i in result.scalars())
        for kind, column in ((FileKind.AVATAR, UserRow.avatar), (FileKind.ICON, ServerRow.icon)):
            if pictures := by_kind.get(kind):
                table = column.class_
                result = await self._execute(
                    select(table.id, column).where(
                        table.id.in_([r.ref for r in pictures]), column.is_not(None)
                    )
                )
                named.update(FileRef(kind, owner, version) for owner, version in result.all())
        return [ref for ref in refs if ref in named]


def _due(due_at: datetime) -> Any:
    return bindparam("due_at", due_at, type_=DateTimeUTC)


def _listened(kind: str, ident: Any, topic: Any) -> Any:
    """(kind, id, position) of one kind of topic; 0 for a topic with no event yet."""
    seq = (
        select(TopicSequenceRow.seq)
        .where(TopicSequenceRow.topic == topic)
        .correlate_except(TopicSequenceRow)
        .scalar_subquery()
    )
    return (literal_column(f"'{kind}'", String), ident, func.coalesce(seq, literal_column("0")))


def _topic_name(prefix: str, column: Any) -> Any:
    # Constants rendered in the SQL (not parameters): the statement is compiled once.
    return literal_column(f"'{prefix}:'", String).concat(sql_cast(column, String))


_USER_ID = bindparam("user_id", type_=BigInteger)
_LISTENED_BY = union_all(
    select(*_listened("user", _USER_ID, _topic_name("user", _USER_ID))),
    select(
        *_listened("server", MemberRow.server_id, _topic_name("server", MemberRow.server_id))
    ).where(MemberRow.user_id == _USER_ID),
    select(
        *_listened(
            "channel",
            ChannelRecipientRow.channel_id,
            _topic_name("channel", ChannelRecipientRow.channel_id),
        )
    ).where(ChannelRecipientRow.user_id == _USER_ID),
)
"""One statement, so one snapshot on both databases (PostgreSQL's READ COMMITTED takes one
per statement): the user's topic, their servers' and their private channels', with positions."""
_LISTENED_BY_SQL = for_drivers(_LISTENED_BY)
_TOPIC_KINDS = {"user": TopicKind.USER, "server": TopicKind.SERVER, "channel": TopicKind.CHANNEL}


class SqlTopicRepository:
    """Positions of topics in the outbox (the `topic_sequences` rows it bumps at commit)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def listened_by(self, user_id: Snowflake) -> dict[Topic, int]:
        # Straight to the driver (one thread hop on SQLite, not four): IDENTIFY runs it per
        # socket, and its columns need no type processing (text and integers).
        with translated():
            rows = await driver_rows(self._session, _LISTENED_BY_SQL, {"user_id": user_id})
        return {Topic(_TOPIC_KINDS[kind], int(ident)): int(seq) for kind, ident, seq in rows}

    async def positions(self, topics: Sequence[Topic]) -> dict[Topic, int]:
        if not topics:
            return {}
        names = {str(topic): topic for topic in topics}
        with translated():
            connection = await self._session.connection()
            result = await connection.execute(
                select(TopicSequenceRow.topic, TopicSequenceRow.seq).where(
                    TopicSequenceRow.topic.in_(list(names))
                )
            )
            found = {names[name]: int(seq) for name, seq in result.all()}
        return {topic: found.get(topic, 0) for topic in topics}

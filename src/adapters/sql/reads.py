"""SQL for #15: mention rows, read states (monotonic upserts, counts counted in one query)
and notification settings (partial upserts).

`states` is one statement for any number of channels: per channel, the read point (the stored
one, or the user's own newest message: one step in `ix_messages_channel_id_author_id_id`) and
two correlated counts that are index range scans from it on (`message_mentions`' primary key
for the user's mentions; the partial `ix_messages_channel_id_id_everyone` for @everyone), so a
READY costs what the unread mentions cost, not what the channels' histories hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from discord_core.model import (
    Message,
    NotificationLevel,
    NotificationSetting,
    ReadState,
    Snowflake,
)

from .driver import DIALECTS, driver_rows, driver_sql, for_drivers, sqlite_time
from .models import (
    ChannelNotificationRow,
    ChannelRecipientRow,
    ChannelRow,
    MemberRow,
    MessageMentionRow,
    MessageRow,
    ReadStateRow,
    ServerNotificationRow,
)
from .translate import translate_public_methods

_NO_SYNC = {"synchronize_session": False}
_LEVELS = {level.value: level for level in NotificationLevel}


def mention_ids_text(message: Message) -> str | None:
    """`messages.mention_ids`: the ids space-separated (NULL for none)."""
    return " ".join(map(str, message.mentions)) or None


def mention_ids_of(value: str | None) -> tuple[Snowflake, ...]:
    return tuple(int(part) for part in value.split()) if value else ()


def _counted(message: Message) -> list[dict[str, int]]:
    """The message's `message_mentions` rows (see models.MessageMentionRow)."""
    if message.mention_everyone:
        return []
    return [
        {"user_id": uid, "channel_id": message.channel_id, "message_id": message.id}
        for uid in message.mentions
        if uid != message.author_id
    ]


_INSERT_MENTIONS = insert(MessageMentionRow)


async def add_mentions(session: AsyncSession, message: Message) -> None:
    """In the message insert's transaction; nothing at all for a message without mentions."""
    rows = _counted(message)
    if rows:
        connection = await session.connection()
        await connection.execute(_INSERT_MENTIONS, rows)


async def replace_mentions(session: AsyncSession, message: Message, before: bool) -> None:
    """After an edit: the rows follow the new mentions (`before`: the message may have had
    rows; nothing to delete otherwise)."""
    if before:
        await session.execute(
            delete(MessageMentionRow).where(MessageMentionRow.message_id == message.id),
            execution_options=_NO_SYNC,
        )
    await add_mentions(session, message)


def _everyone_clause(dialect: str) -> Any:
    """The partial index's own predicate, so the planner can use it (SQLite compares it
    textually)."""
    return text(
        "messages.mention_everyone = 1" if dialect == "sqlite" else "messages.mention_everyone"
    )


def _channel_ids_clause(dialect: str) -> Any:
    """The channels asked for, as one parameter whatever their number, so the statement is
    compiled once and runs straight on the driver: a bigint array on PostgreSQL, a JSON array
    read by `json_each` on SQLite (which has no arrays)."""
    if dialect == "postgresql":
        return ChannelRow.id == any_(cast(bindparam("channel_ids"), ARRAY(BigInteger)))
    listed: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam("channel_ids"))
    )
    return ChannelRow.id.in_(listed)


def _states_statement(dialect: str) -> Any:
    """Per channel: the stored read point, the user's own newest message (posting marks
    read), and the two counts after the later of them. The read points are computed in a
    fenced subquery (OFFSET 0: not flattened), so each is one index step, not one per use."""
    rs = ReadStateRow.__table__.alias("rs")
    mb = MemberRow.__table__.alias("mb")
    cr = ChannelRecipientRow.__table__.alias("cr")
    user: Any = bindparam("user_id")
    own = (
        select(func.max(MessageRow.id))
        .where(MessageRow.channel_id == ChannelRow.id, MessageRow.author_id == user)
        .scalar_subquery()
    )
    points = (
        select(
            ChannelRow.id.label("channel_id"),
            rs.c.last_read_id.label("stored"),
            own.label("own"),
            # Since when the user is in it: their server's membership, or a private
            # channel's recipients.
            func.coalesce(mb.c.joined_at, cr.c.added_at).label("joined_at"),
            ChannelRow.server_id.is_(None).label("private"),
        )
        .select_from(ChannelRow)
        .outerjoin(mb, and_(mb.c.server_id == ChannelRow.server_id, mb.c.user_id == user))
        .outerjoin(cr, and_(cr.c.channel_id == ChannelRow.id, cr.c.user_id == user))
        .outerjoin(rs, and_(rs.c.channel_id == ChannelRow.id, rs.c.user_id == user))
        .where(
            _channel_ids_clause(dialect),
            or_(mb.c.user_id.is_not(None), cr.c.user_id.is_not(None)),
        )
        .offset(0)
        .subquery("points")
    )
    later = func.greatest if dialect == "postgresql" else func.max
    floor = later(func.coalesce(points.c.stored, 0), func.coalesce(points.c.own, 0))
    mentioned = (
        select(func.count())
        .select_from(MessageMentionRow)
        .join(MessageRow, MessageRow.id == MessageMentionRow.message_id)
        .where(
            MessageMentionRow.user_id == user,
            MessageMentionRow.channel_id == points.c.channel_id,
            MessageMentionRow.message_id > floor,
            MessageRow.created_at >= points.c.joined_at,
        )
        .scalar_subquery()
    )
    everyone = (
        select(func.count())
        .select_from(MessageRow)
        .where(
            MessageRow.channel_id == points.c.channel_id,
            _everyone_clause(dialect),
            MessageRow.id > floor,
            MessageRow.author_id != user,
            MessageRow.created_at >= points.c.joined_at,
        )
        .scalar_subquery()
    )
    # In a DM or group DM every message by someone else counts (a range of (channel_id, id)).
    by_others = (
        select(func.count())
        .select_from(MessageRow)
        .where(
            MessageRow.channel_id == points.c.channel_id,
            MessageRow.id > floor,
            MessageRow.author_id != user,
            MessageRow.created_at >= points.c.joined_at,
        )
        .scalar_subquery()
    )
    count = case((points.c.private, by_others), else_=mentioned + everyone)
    return select(points.c.channel_id, points.c.stored, points.c.own, count)


_STATES_SQL = {name: driver_sql(_states_statement(name), d) for name, d in DIALECTS.items()}


def _dialect(session: AsyncSession) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def _upsert(session: AsyncSession, table: Any) -> Any:
    return (postgresql_insert if _dialect(session) == "postgresql" else sqlite_insert)(table)


@translate_public_methods
class SqlReadStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def advance(
        self, user_id: Snowflake, marks: Sequence[tuple[Snowflake, Snowflake]]
    ) -> list[Snowflake]:
        """One INSERT ... ON CONFLICT DO UPDATE ... WHERE the stored id is lower: the row's
        lock orders racing acks, and each compares with what the previous one committed, so
        the read point never moves back. Rows in channel order (one lock order)."""
        newest: dict[Snowflake, Snowflake] = {}
        for channel_id, message_id in marks:
            newest[channel_id] = max(message_id, newest.get(channel_id, 0))
        if not newest:
            return []
        statement = _upsert(self._session, ReadStateRow.__table__).values(
            [
                {"user_id": user_id, "channel_id": cid, "last_read_id": mid}
                for cid, mid in sorted(newest.items())
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "channel_id"],
            set_={"last_read_id": statement.excluded.last_read_id},
            where=ReadStateRow.__table__.c.last_read_id < statement.excluded.last_read_id,
        ).returning(ReadStateRow.__table__.c.channel_id)
        connection = await self._session.connection()
        result = await connection.execute(statement)
        return sorted(row[0] for row in result.all())

    async def states(
        self, user_id: Snowflake, channel_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, ReadState]:
        found: dict[Snowflake, ReadState] = {}
        ids = list(dict.fromkeys(channel_ids))
        if not ids:
            return found
        listed = ids if _dialect(self._session) == "postgresql" else json.dumps(ids)
        rows = await driver_rows(
            self._session, _STATES_SQL, {"user_id": user_id, "channel_ids": listed}
        )
        for channel_id, stored, own, count in rows:
            points = [p for p in (stored, own) if p is not None]
            found[channel_id] = ReadState(
                channel_id, max(points) if points else None, int(count or 0)
            )
        return found


def _setting(
    server_id: Snowflake | None,
    channel_id: Snowflake | None,
    level: str | None,
    until: datetime | None,
) -> NotificationSetting:
    return NotificationSetting(
        server_id, channel_id, _LEVELS[level] if level is not None else None, until
    )


_SERVER_SETTINGS: Any = (
    select(
        literal_column("0").label("kind"),
        ServerNotificationRow.server_id,
        null().label("channel_id"),
        ServerNotificationRow.level,
        ServerNotificationRow.muted_until,
    )
    .join(
        MemberRow,
        and_(
            MemberRow.server_id == ServerNotificationRow.server_id,
            MemberRow.user_id == ServerNotificationRow.user_id,
        ),
    )
    .where(ServerNotificationRow.user_id == bindparam("user_id"))
)
_CHANNEL_SETTINGS: Any = (
    select(
        literal_column("1").label("kind"),
        ChannelNotificationRow.server_id,
        ChannelNotificationRow.channel_id,
        ChannelNotificationRow.level,
        ChannelNotificationRow.muted_until,
    )
    .outerjoin(
        MemberRow,
        and_(
            MemberRow.server_id == ChannelNotificationRow.server_id,
            MemberRow.user_id == ChannelNotificationRow.user_id,
        ),
    )
    .outerjoin(
        ChannelRecipientRow,
        and_(
            ChannelRecipientRow.channel_id == ChannelNotificationRow.channel_id,
            ChannelRecipientRow.user_id == ChannelNotificationRow.user_id,
        ),
    )
    .where(
        ChannelNotificationRow.user_id == bindparam("user_id"),
        or_(MemberRow.user_id.is_not(None), ChannelRecipientRow.user_id.is_not(None)),
    )
)
_SETTINGS_UNION = union_all(_SERVER_SETTINGS, _CHANNEL_SETTINGS).subquery()
_SETTINGS_OF_USER_SQL = for_drivers(
    select(*_SETTINGS_UNION.c).order_by(
        _SETTINGS_UNION.c.kind, _SETTINGS_UNION.c.server_id, _SETTINGS_UNION.c.channel_id
    )
)
"""The user's server settings (by server id), then their channel settings (by channel id),
only where they are still a member or recipient."""


@translate_public_methods
class SqlNotificationSettingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_for_user(self, user_id: Snowflake) -> list[NotificationSetting]:
        # One statement compiled once, straight to the driver: every IDENTIFY runs it.
        rows = await driver_rows(self._session, _SETTINGS_OF_USER_SQL, {"user_id": user_id})
        settings = []
        for _, server_id, channel_id, level, until in rows:
            settings.append(_setting(server_id, channel_id, level, sqlite_time(until)))
        return settings

    async def change(
        self,
        user_id: Snowflake,
        server_id: Snowflake | None,
        channel_id: Snowflake | None,
        *,
        level: NotificationLevel | None = None,
        set_level: bool = False,
        muted_until: datetime | None = None,
        set_muted: bool = False,
    ) -> NotificationSetting:
        """One upsert that sets only the given columns (concurrent changes of different
        fields both stay), returning the row as it now is."""
        if channel_id is None:
            table = ServerNotificationRow.__table__
            values: dict[str, Any] = {
                "user_id": user_id,
                "server_id": server_id,
                "level": (level.value if level is not None else None)
                if set_level
                else NotificationLevel.ALL.value,
            }
            keys = ["user_id", "server_id"]
        else:
            table = ChannelNotificationRow.__table__
            values = {
                "user_id": user_id,
                "channel_id": channel_id,
                "server_id": server_id,
                "level": level.value if set_level and level is not None else None,
            }
            keys = ["user_id", "channel_id"]
        values["muted_until"] = muted_until if set_muted else None
        statement = _upsert(self._session, table).values(values)
        changes: dict[str, Any] = {}
        if set_level:
            changes["level"] = statement.excluded.level
        if set_muted:
            changes["muted_until"] = statement.excluded.muted_until
        if not changes:  # nothing to change: a no-op update still returns the row
            changes["level"] = table.c.level
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changes).returning(
            table.c.level, table.c.muted_until
        )
        connection = await self._session.connection()
        row = (await connection.execute(statement)).one()
        return _setting(server_id, channel_id, row[0], row[1])


__all__ = [
    "SqlNotificationSettingRepository",
    "SqlReadStateRepository",
    "add_mentions",
    "mention_ids_of",
    "mention_ids_text",
    "replace_mentions",
]

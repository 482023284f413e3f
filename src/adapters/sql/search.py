"""The message search index: SQLite FTS5 and PostgreSQL full-text search over the same words.

Both databases index one text per message, `messages.search_text`, written by the message
repository on every insert and edit: the message's words as `discord_core.search.words` makes
them, separated by single spaces, then "meta" words for the filters (server, channel, author,
mentioned users, has:link). Meta words start with U+E000, a private-use character that never
occurs in a word, so no typed word can match one. Neither database tokenizes anything itself:
they only split that text at the spaces, so both find exactly the same messages.

- SQLite: `messages_fts`, an FTS5 table over `messages.search_text` (external content,
  tokenizer `ascii`: on our text it splits at spaces only; every word is already lower case).
  Three triggers keep it in step with every insert, edit and delete of a message (also the
  deletes that cascade from a channel or a server) in the same transaction. Every filter is
  part of the MATCH expression, so a search never leaves the index until it has the page.
  A batch migration that recreates `messages` drops these triggers: recreate them with
  `create_sqlite_triggers` (tests/integration/test_migrations.py checks they exist at head).
- PostgreSQL: `messages.search_vector`, a generated column
  `array_to_tsvector(string_to_array(search_text, ' '))` with a GIN index. No text search
  configuration, no extension (unaccent is not needed: diacritics are gone already) and no
  parser: the lexemes are exactly our words. The vector has no positions, so phrases are
  matched by the index as "all these words" and then checked on the row with
  `strpos(' ' || search_text || ' ', ' w1 w2 ')` - the same test FTS5's phrase does on the
  same text.

Counts stop at the query's `count_limit` (on PostgreSQL the count and the page are one
statement, planned for each search's own words); relevance is computed here from the words of the
newest `relevance_window` matches with `discord_core.search.rank` (see the port).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from discord_core.model import Message, MessageView, Snowflake
from discord_core.search import (
    Has,
    SearchPage,
    SearchQuery,
    SearchSort,
    Term,
    has_link,
    mentioned_user_ids,
    rank,
    words,
)

from .translate import translate_public_methods

log = logging.getLogger(__name__)

META: Final = "\ue000"
"""Starts every meta word; never part of a word (see discord_core.search.words)."""

FTS_TABLE: Final = "messages_fts"
VECTOR_COLUMN: Final = "search_vector"
VECTOR_INDEX: Final = "ix_messages_search_vector"
SQLITE_TRIGGERS: Final = (
    "messages_search_insert",
    "messages_search_delete",
    "messages_search_update",
)


# --- what is indexed --------------------------------------------------------------------------


def _server(server_id: Snowflake) -> str:
    return f"{META}s{server_id}"


def _channel(channel_id: Snowflake) -> str:
    return f"{META}c{channel_id}"


def _author(user_id: Snowflake) -> str:
    return f"{META}a{user_id}"


def _mention(user_id: Snowflake) -> str:
    return f"{META}m{user_id}"


def _has(has: Has) -> str:
    return f"{META}h{has.value}"


def document(
    content: str,
    *,
    server_id: Snowflake | None,
    channel_id: Snowflake,
    author_id: Snowflake,
    files: bool = False,
    images: bool = False,
) -> str:
    """The text indexed for a message: its words, then its meta words."""
    meta = [_channel(channel_id), _author(author_id)]
    if server_id is not None:
        meta.insert(0, _server(server_id))
    meta += [_mention(user_id) for user_id in mentioned_user_ids(content)]
    if has_link(content):
        meta.append(_has(Has.LINK))
    if files:
        meta.append(_has(Has.FILE))
    if images:
        meta.append(_has(Has.IMAGE))
    return " ".join([*words(content), *meta])


def message_document(message: Message) -> str:
    return document(
        message.content,
        server_id=message.server_id,
        channel_id=message.channel_id,
        author_id=message.author_id,
        files=message.attachment_count > 0,
        images=message.has_image,
    )


def document_words(indexed: str) -> list[str]:
    """The words of an indexed text, without its meta words."""
    return [word for word in indexed.split(" ") if word and not word.startswith(META)]


# --- schema (used by the migration) -----------------------------------------------------------

SQLITE_CREATE_FTS: Final = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "search_text, content='messages', content_rowid='id', tokenize='ascii')"
)
SQLITE_TRIGGER_SQL: Final = (
    f"""CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
    WHEN new.search_text IS NOT NULL BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
    WHEN old.search_text IS NOT NULL BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER messages_search_update AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
        INSERT INTO {FTS_TABLE}(rowid, search_text)
        SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
    END""",
)
PG_ADD_VECTOR: Final = (
    f"ALTER TABLE messages ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))) STORED"
)
PG_CREATE_INDEX: Final = f"CREATE INDEX {VECTOR_INDEX} ON messages USING gin ({VECTOR_COLUMN})"


def create_sqlite_triggers(connection: Connection) -> None:
    for statement in SQLITE_TRIGGER_SQL:
        connection.exec_driver_sql(statement)


def drop_sqlite_triggers(connection: Connection) -> None:
    for name in SQLITE_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def is_search_object(name: str | None, type_: str) -> bool:
    """Schema objects of the index that models.py does not declare (for Alembic's
    autogenerate and the migration tests): the FTS5 table and its shadow tables, the vector
    column and its index."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "index":
        return name == VECTOR_INDEX
    return False


def backfill(
    connection: Connection,
    *,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
    with_files: bool = False,
) -> int:
    """Write `search_text` of every message that has none, in batches by id; return how
    many. Runs inside the migration's transaction (a sync connection). `with_files`: the
    attachments table exists, so documents carry has:file / has:image (migration 0006 empties
    the text of messages with files to have them written again)."""
    total = connection.execute(
        text("SELECT count(*) FROM messages WHERE search_text IS NULL")
    ).scalar_one()
    postgres = connection.dialect.name == "postgresql"
    done, last = 0, 0
    report = progress or _log_progress(total)
    files = (
        ", attachment_count > 0, EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = "
        "messages.id AND a.content_type LIKE 'image/%')"
        if with_files
        else ", 0 = 1, 0 = 1"
    )
    select_batch = text(
        f"SELECT id, server_id, channel_id, author_id, content{files} FROM messages "
        "WHERE id > :last AND search_text IS NULL ORDER BY id LIMIT :batch"
    )
    while True:
        rows = connection.execute(select_batch, {"last": last, "batch": batch}).all()
        if not rows:
            break
        ids = [row[0] for row in rows]
        texts = [
            document(
                row[4],
                server_id=row[1] or None,
                channel_id=row[2],
                author_id=row[3],
                files=bool(row[5]),
                images=bool(row[6]),
            )
            for row in rows
        ]
        if postgres:
            connection.execute(
                text(
                    "UPDATE messages SET search_text = v.t FROM "
                    "unnest(CAST(:ids AS bigint[]), CAST(:texts AS text[])) AS v(id, t) "
                    "WHERE messages.id = v.id"
                ),
                {"ids": ids, "texts": texts},
            )
        else:
            connection.execute(
                text("UPDATE messages SET search_text = :t WHERE id = :id"),
                [{"id": i, "t": t} for i, t in zip(ids, texts, strict=True)],
            )
        done += len(rows)
        last = ids[-1]
        report(done, total)
    return done


def _log_progress(total: int) -> Callable[[int, int], None]:
    started = time.monotonic()
    every = max(total // 20, 1)
    state = {"next": every}

    def report(done: int, _total: int) -> None:
        if done >= state["next"] or done == total:
            state["next"] = done + every
            rate = done / max(time.monotonic() - started, 1e-6)
            log.info(
                "search index: %s of %s messages (%d %%, %s per second)",
                f"{done:,}",
                f"{total:,}",
                done * 100 // max(total, 1),
                f"{rate:,.0f}",
            )

    return report


# --- queries ----------------------------------------------------------------------------------


def _fts_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _fts_any(values: Sequence[str]) -> str:
    return "(" + " OR ".join(_fts_string(v) for v in values) + ")"


def _required_meta(query: SearchQuery) -> list[list[str]]:
    """The meta conditions, each a list of meta words of which one must be there."""
    need: list[list[str]] = []
    if query.server_id is not None:
        need.append([_server(query.server_id)])
    if query.channel_ids is not None:
        need.append([_channel(c) for c in query.channel_ids])
    if query.author_ids:
        need.append([_author(a) for a in query.author_ids])
    if query.mentions:
        need.append([_mention(u) for u in query.mentions])
    need += [[_has(h)] for h in sorted(query.has)]
    if not need:
        raise ValueError("a search needs a scope: a server or channels")
    if any(not alternatives for alternatives in need):
        raise ValueError("an empty list of channels, authors or mentions matches nothing")
    return need


def fts5_match(query: SearchQuery) -> str:
    """The FTS5 MATCH expression of a query. Every word is a quoted string (no word contains
    a quote), so nothing a user types is FTS5 syntax."""
    parts = [
        _fts_string(alternatives[0]) if len(alternatives) == 1 else _fts_any(alternatives)
        for alternatives in _required_meta(query)
    ]
    parts += [_fts_string(" ".join(term)) for term in query.terms]
    expression = " AND ".join(parts)
    if query.excluded:
        excluded = " OR ".join(_fts_string(" ".join(term)) for term in query.excluded)
        expression = f"({expression}) NOT ({excluded})"
    return expression


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def pg_tsquery(query: SearchQuery) -> str:
    """The tsquery (input syntax, cast from text: no parser, no normalisation) of the words
    the GIN index can decide: meta words, every word of every term, excluded single words.
    Phrases and excluded phrases are checked on the row (`pg_phrase_checks`)."""
    parts = []
    for alternatives in _required_meta(query):
        lexemes = [_lexeme(v) for v in alternatives]
        parts.append(lexemes[0] if len(lexemes) == 1 else "(" + " | ".join(lexemes) + ")")
    for term in query.terms:
        parts += [_lexeme(word) for word in dict.fromkeys(term)]
    parts += ["!" + _lexeme(term[0]) for term in query.excluded if len(term) == 1]
    return " & ".join(parts)


def _spaced(term: Term) -> str:
    return " " + " ".join(term) + " "


ViewLoader = Callable[[list[Snowflake]], Awaitable[list[MessageView]]]


@translate_public_methods
class SqlMessageSearch:
    """`MessageSearchIndex` on the unit of work's session (SQLite or PostgreSQL).
    `views` loads messages by id, in the order given (the message repository's)."""

    def __init__(self, session: AsyncSession, views: ViewLoader) -> None:
        self._session = session
        self._load_views = views

    async def _execute(self, statement: Any, params: dict[str, Any]) -> Any:
        connection = await self._session.connection()
        return await connection.execute(statement, params)

    @property
    def _postgres(self) -> bool:
        return bool(self._session.get_bind().dialect.name == "postgresql")

    async def search(self, query: SearchQuery) -> SearchPage:
        if self._postgres:
            # Plan every search for its own words: a plan cached for a common word (scan the
            # table) would take a rare one through a million rows, and the other way round.
            await self._execute(text("SET LOCAL plan_cache_mode = force_custom_plan"), {})
            if query.sort is not SearchSort.RELEVANCE or not query.terms:
                total, ids = await self._pg_count_and_page(query)
                return SearchPage(total, await self._load_views(ids))
        total = await self._count(query)
        capped = total >= query.count_limit
        if total == 0 or (query.offset >= total and not capped):
            return SearchPage(total, [])
        if query.sort is SearchSort.RELEVANCE and query.terms:
            ids = await self._relevance_ids(query)
        else:
            ids = await self._newest_ids(query, query.offset, query.limit)
        return SearchPage(total, await self._load_views(ids))

    # --- the statements, per database ---

    def _where(self, query: SearchQuery) -> tuple[str, str, dict[str, Any]]:
        """(FROM ..., WHERE ..., parameters) selecting the matches; the id column is `id`."""
        params: dict[str, Any] = {}
        if self._postgres:
            source = "messages"
            conditions = [f"{VECTOR_COLUMN} @@ CAST(:tsq AS tsquery)"]
            params["tsq"] = pg_tsquery(query)
            phrases = [(t, ">") for t in query.terms if len(t) > 1]
            phrases += [(t, "=") for t in query.excluded if len(t) > 1]
            for i, (term, op) in enumerate(phrases):
                conditions.append(f"strpos(' ' || search_text || ' ', :phrase{i}) {op} 0")
                params[f"phrase{i}"] = _spaced(term)
            id_column = "id"
        else:
            source = FTS_TABLE
            conditions = [f"{FTS_TABLE} MATCH :match"]
            params["match"] = fts5_match(query)
            id_column = "rowid"
        if query.pinned is not None:
            # At most 50 pinned per channel: the partial index on pinned_at finds them.
            pinned = "IN" if query.pinned else "NOT IN"
            conditions.append(
                f"{id_column} {pinned} (SELECT id FROM messages WHERE pinned_at IS NOT NULL)"
            )
        if query.before is not None:
            conditions.append(f"{id_column} < :before")
            params["before"] = query.before
        if query.after is not None:
            conditions.append(f"{id_column} > :after")
            params["after"] = query.after
        return source, " AND ".join(conditions), params

    def _id_column(self) -> str:
        return "id" if self._postgres else "rowid"

    async def _count(self, query: SearchQuery) -> int:
        source, where, params = self._where(query)
        statement = text(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT :cap) AS found"
        )
        result = await self._execute(statement, {**params, "cap": query.count_limit})
        return int(result.scalar_one())

    async def _pg_count_and_page(self, query: SearchQuery) -> tuple[int, list[Snowflake]]:
        """The capped count and the newest-first page in one statement (one pass over the
        matches, newest first, as far as either needs)."""
        _, where, params = self._where(query)
        statement = text(
            f"WITH found AS (SELECT id FROM messages WHERE {where} "
            "ORDER BY id DESC LIMIT :reach) "
            "SELECT (SELECT count(*) FROM found), "
            "ARRAY(SELECT id FROM found ORDER BY id DESC OFFSET :offset LIMIT :limit)"
        )
        reach = max(query.count_limit, query.offset + query.limit)
        params |= {"reach": reach, "offset": query.offset, "limit": query.limit}
        row = (await self._execute(statement, params)).one()
        return min(int(row[0]), query.count_limit), [int(i) for i in row[1]]

    async def _newest_ids(self, query: SearchQuery, offset: int, limit: int) -> list[Snowflake]:
        source, where, params = self._where(query)
        key = self._id_column()
        statement = text(
            f"SELECT {key} FROM {source} WHERE {where} "
            f"ORDER BY {key} DESC LIMIT :limit OFFSET :offset"
        )
        result = await self._execute(statement, {**params, "limit": limit, "offset": offset})
        return [int(row[0]) for row in result.all()]

    async def _window(self, query: SearchQuery) -> list[tuple[Snowflake, list[str]]]:
        """The newest `relevance_window` matches with their words."""
        source, where, params = self._where(query)
        params["window"] = query.relevance_window
        if self._postgres:
            statement = text(
                f"SELECT id, search_text FROM messages WHERE {where} ORDER BY id DESC LIMIT :window"
            )
        else:
            statement = text(
                "SELECT id, search_text FROM messages WHERE id IN ("
                f"SELECT rowid FROM {source} WHERE {where} ORDER BY rowid DESC LIMIT :window)"
            )
        result = await self._execute(statement, params)
        return [(int(row[0]), document_words(row[1] or "")) for row in result.all()]

    async def _relevance_ids(self, query: SearchQuery) -> list[Snowflake]:
        """Ranked newest window first, then the older matches newest first."""
        window = query.relevance_window
        end = query.offset + query.limit
        if query.offset >= window:
            return await self._newest_ids(query, query.offset, query.limit)
        ranked = rank(await self._window(query), query.terms)
        page = ranked[query.offset : end]
        if end > window and len(ranked) == window:
            page += await self._newest_ids(query, window, end - window)
        return page

"""The SQL adapter: SQLAlchemy 2 (async) + advanced-alchemy repositories, Alembic migrations,
for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from .database import Database, sqlite_url_for
from .uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = ["Database", "SqlUnitOfWork", "SqlUnitOfWorkFactory", "sqlite_url_for"]

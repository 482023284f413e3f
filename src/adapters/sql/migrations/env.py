"""Alembic environment: see adapters.sql.migrate (run from code or the alembic CLI)."""

from alembic import context

from adapters.sql.migrate import run_env

run_env(context)

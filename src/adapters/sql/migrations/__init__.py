"""Alembic scripts (env.py, versions/) for the SQL adapter; see adapters.sql.migrate."""

"""Persistence: SQLAlchemy Core tables, engines for SQLite and PostgreSQL, Alembic migrations.

Repositories here translate between rows and domain values; transactions are owned by services.
"""

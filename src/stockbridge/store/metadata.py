"""The one MetaData of every table, with a naming convention so that migrations are stable.

Tables live in `schema` (core) and `schema_sync` (channel sync); `tables.metadata` is the
MetaData with all of them registered, for Alembic and for tests.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

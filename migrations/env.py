"""Alembic's entry point: runs the migrations against one database.

Called from code (db.migrate), the URL comes in ``config.attributes["url"]``; from alembic's own
command line it is DATABASE_URL, or the embedded server when that is unset. ``--sql`` (offline
mode) writes the SQL without connecting.
"""

from __future__ import annotations

import os

from alembic import context

from db.engine import database_url, make_engine
from db.models import Base

config = context.config

if context.is_offline_mode():
    context.configure(dialect_name="postgresql", target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(config.attributes.get("url") or database_url(os.environ.get("DATABASE_URL")))
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()

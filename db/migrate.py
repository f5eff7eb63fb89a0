"""Runs the alembic migrations in ``migrations/`` from code, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import make_engine

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "migrations" / "alembic.ini"


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    command.upgrade(_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base``: no tables left)."""
    command.downgrade(_config(url), revision)


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at; None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision in ``migrations/``."""
    return ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()


def _config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["url"] = url  # read by migrations/env.py
    return config

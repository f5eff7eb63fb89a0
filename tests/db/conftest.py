from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_sessions
from tests.support.database import fresh_database


@pytest.fixture
def db_url() -> Iterator[str]:
    """A fresh database migrated to head, dropped after the test."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def empty_db_url() -> Iterator[str]:
    """A fresh database without any schema, dropped after the test."""
    with fresh_database(migrated=False) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessions(engine)

"""Engines and databases: created on demand, and robust to lost connections."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

from db.engine import database_url, ensure_database, libpq_dsn, make_engine, psycopg2_url
from tests.support.database import drop_database, server_url


def test_a_configured_url_is_used_as_is() -> None:
    assert database_url("postgresql://user:secret@db.example:5432/faces") == \
        "postgresql://user:secret@db.example:5432/faces"


def test_psycopg2_is_the_driver() -> None:
    assert psycopg2_url("postgresql://u@h/d").drivername == "postgresql+psycopg2"
    assert psycopg2_url("postgres://u@h/d").drivername == "postgresql+psycopg2"
    assert libpq_dsn("postgresql+psycopg2://u:p%40ss@/d?host=/tmp/x") == "postgresql://u:p%40ss@/d?host=%2Ftmp%2Fx"


def test_ensure_database_creates_a_missing_database_once() -> None:
    name = f"likeness_test_{uuid.uuid4().hex[:16]}"
    url = ensure_database(server_url().set(database=name))
    try:
        assert ensure_database(url) == url
        engine = make_engine(url)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT current_database()")) == name
        engine.dispose()
    finally:
        drop_database(url)


def test_pooled_connections_survive_a_lost_server_connection(engine: Engine) -> None:
    """pool_pre_ping replaces a pooled connection the server has closed (as a restart does)."""
    with engine.connect() as connection:
        backend = connection.scalar(text("SELECT pg_backend_pid()"))
    killer = make_engine(server_url())
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    killer.dispose()
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_backend_pid()")) != backend

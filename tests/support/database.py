"""Real PostgreSQL for tests: one server per test session, a fresh database per test or module.

The server is DATABASE_URL's when that is set (tests then only create and drop databases named
``likeness_test_*`` on it), else an embedded pgserver in a temporary folder, stopped and deleted
when the test process exits. Any conftest can build fixtures on :func:`fresh_database`; the server
is shared by all of them.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from db.engine import (embedded_server_url, ensure_database, make_engine, make_sessions, psycopg2_url,
                       stop_embedded_server)
from db.models import Application, Service, ServiceType
from db.migrate import upgrade


@functools.cache
def server_url() -> URL:
    """A database on the test session's PostgreSQL server (DATABASE_URL's, or the embedded
    server's ``postgres``) to create and drop others from; the server is started on first use."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return psycopg2_url(configured)
    pgdata = Path(tempfile.mkdtemp(prefix="likeness-test-pg-"))
    return embedded_server_url(pgdata, keep_running=False)


@contextmanager
def fresh_database(migrated: bool = True) -> Iterator[str]:
    """An empty database of its own, migrated to head unless ``migrated`` is false; its URL.
    Dropped afterwards, even while connections to it are still open."""
    url = ensure_database(server_url().set(database=f"likeness_test_{uuid.uuid4().hex[:16]}"))
    try:
        if migrated:
            upgrade(url)
        yield url
    finally:
        drop_database(url)


def drop_database(url: str) -> None:
    """Drop ``url``'s database, closing the connections still open to it."""
    name = make_url(url).database
    maintenance = create_engine(server_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with maintenance.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        maintenance.dispose()


class RestartableServer:
    """An embedded PostgreSQL of a test's own, which the test may restart (as operators do)."""

    def __init__(self, pgdata: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
        self._pgdata = pgdata
        self._server = pgserver.get_server(pgdata, cleanup_mode="delete")
        self.url = ensure_database(psycopg2_url(self._server.get_uri("postgres")).set(database="likeness"))
        upgrade(self.url)

    def restart(self, down_seconds: float = 0.0) -> None:
        """Fast shutdown (every connection is cut), an optional pause, and a start on the same data."""
        stop_embedded_server(self._pgdata)
        time.sleep(down_seconds)
        self._server.ensure_postgres_running()


def create_services(database_url: str, application: str = "Tests") -> dict[str, str]:
    """One service of each type in a new application; type name (lower case) -> API key."""
    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as session:
            app = Application(name=application)
            services = {kind: Service(application=app, name=f"{application}-{kind.value.lower()}", type=kind)
                        for kind in ServiceType}
            session.add_all([app, *services.values()])
            session.flush()
            return {kind.value.lower(): str(service.api_key) for kind, service in services.items()}
    finally:
        engine.dispose()

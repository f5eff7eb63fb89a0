"""Connections to PostgreSQL: the configured server, or an embedded one under the project's var/.

The embedded server is a real PostgreSQL started from the ``pgserver`` package. It listens on a
Unix socket only, keeps running after the process that started it exits, and keeps its data in
``var/pgdata``, so every later process (api and admin servers, the CLI) joins the same server.
"""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from common.config import PROJECT_ROOT

EMBEDDED_PGDATA = PROJECT_ROOT / "var" / "pgdata"
DATABASE_NAME = "likeness"


def database_url(configured: str | None, pgdata: Path = EMBEDDED_PGDATA) -> str:
    """The configured DATABASE_URL when there is one, else the ``likeness`` database of the embedded
    server whose data lives in ``pgdata`` (the server is started and the database created when missing)."""
    if configured:
        return configured
    return ensure_database(embedded_server_url(pgdata, keep_running=True).set(database=DATABASE_NAME))


def stop_embedded_server(pgdata: Path) -> None:
    """Fast shutdown of the embedded PostgreSQL in ``pgdata``, if it runs: open connections are cut,
    the data is flushed and kept. Returns once the server has exited."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, signal.SIGINT)
        while True:
            time.sleep(0.05)
            os.kill(pid, 0)
    except ProcessLookupError:
        return


def embedded_server_url(pgdata: Path, *, keep_running: bool) -> URL:
    """Start (or join) the embedded PostgreSQL whose data lives in ``pgdata``; the URL of its
    ``postgres`` database.

    ``keep_running=False`` stops the server and deletes ``pgdata`` when the last process that
    joined it exits (for tests). As root, pgserver runs the server as a ``pgserver`` system user,
    which it creates.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns on import when XDG_RUNTIME_DIR is unset
        import pgserver
    server = pgserver.get_server(pgdata, cleanup_mode=None if keep_running else "delete")
    return psycopg2_url(server.get_uri("postgres"))


def ensure_database(url: str | URL) -> str:
    """Create ``url``'s database on its server unless it exists; returns ``url`` as a string."""
    url = psycopg2_url(url)
    maintenance = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
    try:
        with maintenance.connect() as connection:
            if not connection.scalar(exists, {"name": url.database}):
                quoted = connection.dialect.identifier_preparer.quote(url.database)
                try:
                    connection.execute(text(f"CREATE DATABASE {quoted}"))
                except DBAPIError:
                    if not connection.scalar(exists, {"name": url.database}):  # else another process made it
                        raise
    finally:
        maintenance.dispose()
    return url.render_as_string(hide_password=False)


def make_engine(url: str | URL) -> Engine:
    """An engine on psycopg2. Pooled connections are tested before use (``pool_pre_ping``), so
    that a restart of PostgreSQL does not fail the next requests."""
    return create_engine(psycopg2_url(url), pool_pre_ping=True)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory for ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def database_reachable(sessions: sessionmaker) -> bool:
    """Whether a trivial query succeeds: what /ready reports for the database."""
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means not reachable, reported as such
        return False


def libpq_dsn(url: str | URL) -> str:
    """``url`` as libpq understands it, for a raw ``psycopg2.connect`` (a LISTEN connection)."""
    return psycopg2_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def psycopg2_url(url: str | URL) -> URL:
    """``url`` with the psycopg2 driver where it names none (SQLAlchemy 2.1 would pick psycopg 3)."""
    url = make_url(url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    return url

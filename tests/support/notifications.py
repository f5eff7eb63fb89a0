"""A second database connection that LISTENs on the collection channel, as an api server does."""

from __future__ import annotations

import select

import psycopg2

from db.engine import libpq_dsn
from db.notify import COLLECTION_CHANNEL


class NotificationListener:
    def __init__(self, database_url: str) -> None:
        self.connection = psycopg2.connect(libpq_dsn(database_url))
        self.connection.autocommit = True
        self.connection.cursor().execute(f"LISTEN {COLLECTION_CHANNEL}")

    def received(self, wait: float) -> list[str]:
        """The payloads that arrived within ``wait`` seconds (returns early once one arrived)."""
        select.select([self.connection], [], [], wait)
        return self._take()

    def drain(self, quiet: float = 0.5) -> list[str]:
        """Every payload until none arrives for ``quiet`` seconds, oldest first."""
        payloads = []
        while select.select([self.connection], [], [], quiet) != ([], [], []):
            payloads += self._take()
        return payloads

    def _take(self) -> list[str]:
        self.connection.poll()
        payloads = [message.payload for message in self.connection.notifies]
        self.connection.notifies.clear()
        return payloads

    def close(self) -> None:
        self.connection.close()

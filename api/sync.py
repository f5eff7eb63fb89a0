"""Listens for the collection changes api servers announce, and keeps this server's indexes current.

On every (re)connection the listener reloads every collection, since changes made while it was
away were announced to nobody; after that it applies changes in commit order.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

from db.notify import COLLECTION_CHANNEL, CollectionChange

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
RETRY_SECONDS = 1.0


class ChangeListener:
    def __init__(self, dsn: str, on_change: Callable[[CollectionChange], None],
                 on_connect: Callable[[], None]) -> None:
        self.dsn = dsn
        self.on_change = on_change
        self.on_connect = on_connect
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="collection-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=POLL_SECONDS + 1)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except (psycopg2.Error, OSError) as error:
                if self.connected.is_set():
                    log.warning("Lost the database notification connection (%s); reconnecting", error)
                self.connected.clear()
                self._stopping.wait(RETRY_SECONDS)
            except Exception:  # a bad message or a failed reload must not end synchronisation
                log.exception("Collection synchronisation failed; reconnecting")
                self.connected.clear()
                self._stopping.wait(RETRY_SECONDS)

    def _listen(self) -> None:
        connection = psycopg2.connect(self.dsn, connect_timeout=5, keepalives=1, keepalives_idle=10,
                                      keepalives_interval=5, keepalives_count=3)
        try:
            connection.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {COLLECTION_CHANNEL}")
            self.on_connect()
            self.connected.set()
            log.info("Listening for collection changes")
            while not self._stopping.is_set():
                if select.select([connection], [], [], POLL_SECONDS) == ([], [], []):
                    with connection.cursor() as cursor:  # a silent peer may be gone: ask
                        cursor.execute("SELECT 1")
                    continue
                connection.poll()
                while connection.notifies:
                    started = time.perf_counter()
                    change = CollectionChange.from_payload(connection.notifies.pop(0).payload)
                    self.on_change(change)
                    log.debug("Applied %s v%d of service %d from %s in %.1f ms", change.kind, change.version,
                              change.service_id, change.sender, (time.perf_counter() - started) * 1000)
        finally:
            connection.close()

"""Requests per service and hour: counted in memory, added to the database every minute."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from db.models import RequestCount

log = logging.getLogger(__name__)

FLUSH_SECONDS = 60.0


class RequestCounter:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions
        self._counts: Counter[tuple[int, datetime]] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-counter", daemon=True)

    def count(self, service_id: int) -> None:
        hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        with self._lock:
            self._counts[(service_id, hour)] += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        rows = [{"service_id": service_id, "hour": hour, "count": count}
                for (service_id, hour), count in counts.items()]
        try:
            self._add(rows)
        except IntegrityError:  # a service deleted meanwhile: its counts go with it
            self._store_one_by_one(rows)
        except Exception as error:  # an unreachable database: keep serving, try again later
            log.warning("Could not store request counts (%s); they are kept for the next try", error)
            with self._lock:
                self._counts.update(counts)

    def _store_one_by_one(self, rows: list[dict[str, object]]) -> None:
        for row in rows:
            try:
                self._add([row])
            except IntegrityError:
                log.info("Dropped request counts of deleted service %s", row["service_id"])

    def _add(self, rows: list[dict[str, object]]) -> None:
        statement = insert(RequestCount).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[RequestCount.service_id, RequestCount.hour],
            set_={"count": RequestCount.count + statement.excluded.count})
        with self.sessions.begin() as session:
            session.execute(statement)

    def _run(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            self.flush()

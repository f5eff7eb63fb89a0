"""Everything an api server process holds: settings, database, core client, indexes, listener."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from api.auth import KeyChecker
from api.collection_store import CollectionStore
from api.core_client import CoreClient
from api.image_input import UrlFetcher
from api.indexes import ServiceIndexes
from api.settings import ApiSettings
from api.statistics import RequestCounter
from api.sync import ChangeListener
from db.engine import database_reachable, database_url, libpq_dsn, make_engine, make_sessions

log = logging.getLogger(__name__)


@dataclass
class Platform:
    settings: ApiSettings
    sessions: sessionmaker
    keys: KeyChecker
    store: CollectionStore
    indexes: ServiceIndexes
    core: CoreClient
    fetcher: UrlFetcher
    counter: RequestCounter
    listener: ChangeListener

    @classmethod
    def start(cls, settings: ApiSettings) -> "Platform":
        configured = settings.database_url.get_secret_value() if settings.database_url else None
        url = database_url(configured)
        engine = make_engine(url)
        sessions = make_sessions(engine)
        store = CollectionStore(sessions)
        indexes = ServiceIndexes(store, sessions, settings.index_exact_max_faces, settings.index_type)
        platform = cls(
            settings=settings,
            sessions=sessions,
            keys=KeyChecker(sessions, public=settings.auth_method == "public"),
            store=store,
            indexes=indexes,
            core=CoreClient(settings.python_url, settings.core_connect_timeout_ms / 1000,
                            settings.core_read_timeout_ms / 1000),
            fetcher=UrlFetcher.from_settings(settings),
            counter=RequestCounter(sessions),
            listener=ChangeListener(libpq_dsn(url), indexes.apply, indexes.load_all),
        )
        # The listener loads every collection when it connects, then applies changes in order.
        platform.listener.start()
        platform.counter.start()
        return platform

    def ready(self) -> dict[str, bool]:
        """What /ready reports: collections loaded, database and a core server reachable."""
        return {"collections_loaded": self.indexes.loaded.is_set(), "database": database_reachable(self.sessions),
                "core": self.core.ready()}

    def stop(self) -> None:
        self.listener.stop()
        self.counter.stop()
        self.core.close()


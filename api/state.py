"""Everything an api server process holds: settings, database, core client, indexes, listener, and
the services the views call. Views reach it through ``api.views.common.state()``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from api.auth import KeyChecker
from api.collection_store import CollectionStore
from api.image_input import UrlFetcher
from api.indexes import ServiceIndexes
from api.metrics import observe_core_call
from api.services.collections import Collections
from api.services.detection import Detector
from api.services.recognition import Recognizer
from api.services.search import Searcher
from api.services.verification import Verifier
from api.settings import ApiSettings
from api.statistics import RequestCounter
from api.sync import ChangeListener
from common.core_client import CoreClient
from db.engine import database_reachable, database_url, libpq_dsn, make_engine, make_sessions

log = logging.getLogger(__name__)

STATE_KEY = "likeness-api"  # where create_app keeps the state in app.extensions


@dataclass
class ApiState:
    settings: ApiSettings
    sessions: sessionmaker
    keys: KeyChecker
    indexes: ServiceIndexes
    core: CoreClient
    fetcher: UrlFetcher
    counter: RequestCounter
    listener: ChangeListener
    collections: Collections
    recognizer: Recognizer
    detector: Detector
    verifier: Verifier
    searcher: Searcher

    @classmethod
    def start(cls, settings: ApiSettings, core: CoreClient | None = None) -> ApiState:
        """Connects to the database and the core servers (``core``, when given, instead of
        PYTHON_URL's: tests pass a fake), loads every collection and starts listening for changes."""
        configured = settings.database_url.get_secret_value() if settings.database_url else None
        url = database_url(configured)
        sessions = make_sessions(make_engine(url))
        store = CollectionStore(sessions)
        indexes = ServiceIndexes(store, sessions, settings.index_exact_max_faces, settings.index_type)
        if core is None:
            core = CoreClient(settings.python_url, settings.core_connect_timeout_ms / 1000,
                              settings.core_read_timeout_ms / 1000, observe=observe_core_call)
        collections = Collections(store, indexes, core, settings.save_images_to_db)
        state = cls(
            settings=settings,
            sessions=sessions,
            keys=KeyChecker(sessions, public=settings.auth_method == "public"),
            indexes=indexes,
            core=core,
            fetcher=UrlFetcher.from_settings(settings),
            counter=RequestCounter(sessions),
            listener=ChangeListener(libpq_dsn(url), indexes.apply, indexes.load_all),
            collections=collections,
            recognizer=Recognizer(core, indexes),
            detector=Detector(core),
            verifier=Verifier(core, collections),
            searcher=Searcher(core, indexes),
        )
        # The listener loads every collection when it connects, then applies changes in order.
        state.listener.start()
        state.counter.start()
        return state

    def ready(self) -> dict[str, bool]:
        """What /ready reports: collections loaded, database and a core server reachable."""
        return {"collections_loaded": self.indexes.loaded.is_set(), "database": database_reachable(self.sessions),
                "core": self.core.ready()}

    def stop(self) -> None:
        self.listener.stop()
        self.counter.stop()
        self.core.close()

"""The face index of every recognition service in this api server, kept current by local writes and
by the changes other servers announce."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.collection_store import Collection, CollectionStore
from api.face_index import FaceIndex
from db.models import Service, ServiceType
from db.notify import CollectionChange

log = logging.getLogger(__name__)


@dataclass
class _ServiceIndex:
    index: FaceIndex | None = None  # created with the first face, when the dimension is known
    version: int = 0                # the last collection version applied in order
    lock: threading.Lock = field(default_factory=threading.Lock)


class ServiceIndexes:
    def __init__(self, store: CollectionStore, sessions: sessionmaker, exact_max_faces: int,
                 approximate_kind: str) -> None:
        self.store = store
        self.sessions = sessions
        self.exact_max_faces = exact_max_faces
        self.approximate_kind = approximate_kind
        self._services: dict[int, _ServiceIndex] = {}
        self._lock = threading.Lock()
        self.loaded = threading.Event()

    def load_all(self) -> None:
        """(Re)loads every recognition service from the database."""
        with self.sessions() as session:
            service_ids = list(session.scalars(select(Service.id).where(Service.type == ServiceType.RECOGNITION)))
        for service_id in service_ids:
            self.reload(service_id)
        with self._lock:
            for gone in set(self._services) - set(service_ids):
                del self._services[gone]
        self.loaded.set()
        log.info("Loaded the collections of %d recognition services (%d faces)", len(service_ids),
                 sum(self.size(service_id) for service_id in service_ids))

    def reload(self, service_id: int) -> None:
        collection = self.store.collection(service_id)
        entry = self._entry(service_id)
        with entry.lock:
            entry.index = self._new_index(collection)
            entry.version = collection.version

    def search(self, service_id: int, embeddings: np.ndarray, k: int) -> list[list[tuple[str, str, float]]]:
        entry = self._entry(service_id)
        index = entry.index
        if index is None or len(index) == 0:
            return [[] for _ in range(len(embeddings))]
        return index.search(embeddings, k)

    def size(self, service_id: int) -> int:
        index = self._entry(service_id).index
        return 0 if index is None else len(index)

    def sizes(self) -> dict[int, int]:
        """Faces in memory per recognition service id."""
        with self._lock:
            indexes = {service_id: entry.index for service_id, entry in self._services.items()}
        return {service_id: 0 if index is None else len(index) for service_id, index in indexes.items()}

    def memory(self) -> dict[str, object]:
        indexes = [entry.index for entry in self._services.values() if entry.index is not None]
        faces = sum(len(index) for index in indexes)
        total = sum(index.memory_bytes for index in indexes)
        return {"services": len(self._services), "faces": faces, "bytes": total,
                "bytes_per_face": round(total / faces, 1) if faces else None}

    # Changes made by this server: applied at once, before its own NOTIFY comes back.

    def faces_added(self, service_id: int, collection: Collection) -> None:
        entry = self._entry(service_id)
        with entry.lock:
            if entry.index is None:
                entry.index = self._new_index(collection)
            elif collection.face_ids:
                entry.index.add(collection.face_ids, collection.subjects, collection.embeddings)

    def faces_removed(self, service_id: int, face_ids: list[str]) -> None:
        entry = self._entry(service_id)
        with entry.lock:
            if entry.index is not None:
                entry.index.remove(face_ids)

    def subject_renamed(self, service_id: int, old: str, new: str) -> None:
        entry = self._entry(service_id)
        with entry.lock:
            if entry.index is not None:
                entry.index.rename_subject(old, new)

    def subject_removed(self, service_id: int, name: str) -> None:
        entry = self._entry(service_id)
        with entry.lock:
            if entry.index is not None:
                entry.index.remove_subject(name)

    def cleared(self, service_id: int) -> None:
        entry = self._entry(service_id)
        with entry.lock:
            if entry.index is not None:
                entry.index.clear()

    # Changes announced by any server (this one included), in commit order.

    def apply(self, change: CollectionChange) -> None:
        entry = self._entry(change.service_id)
        if change.version <= entry.version and change.kind != "service_deleted":
            return
        if change.kind == "service_deleted":
            with self._lock:
                self._services.pop(change.service_id, None)
            return
        if change.version != entry.version + 1 or change.kind == "reload":
            log.info("Service %d: collection version %d after %d, reloading", change.service_id, change.version,
                     entry.version)
            self.reload(change.service_id)
            return
        if change.kind == "faces_added":
            self.faces_added(change.service_id, self.store.faces_by_id(change.service_id, change.face_ids))
        elif change.kind == "faces_removed":
            self.faces_removed(change.service_id, change.face_ids)
        elif change.kind == "subject_renamed":
            self.subject_renamed(change.service_id, change.old_name, change.new_name)
        elif change.kind == "collection_cleared":
            self.cleared(change.service_id)
        with entry.lock:
            entry.version = max(entry.version, change.version)

    def _entry(self, service_id: int) -> _ServiceIndex:
        with self._lock:
            return self._services.setdefault(service_id, _ServiceIndex())

    def _new_index(self, collection: Collection) -> FaceIndex | None:
        if not collection.face_ids:
            return None
        index = FaceIndex(collection.embeddings.shape[1], self.exact_max_faces, self.approximate_kind)
        index.add(collection.face_ids, collection.subjects, collection.embeddings)
        return index

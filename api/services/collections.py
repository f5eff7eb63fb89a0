"""A recognition service's collection: subjects and their faces.

Every write here is one operation: the rows, the new collection version and the NOTIFY commit
together (:class:`api.collection_store.CollectionStore`), then this server's index takes the change
at once, before its own NOTIFY comes back. A view never writes through the store by itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from api.collection_store import Collection, CollectionStore, StoredFace
from api.indexes import ServiceIndexes
from api.services.faces import ImageParams, embedding, find_faces
from common import errors
from common.core_client import CoreClient


@dataclass(frozen=True)
class FacePage:
    faces: list[StoredFace]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size)


class Collections:
    def __init__(self, store: CollectionStore, indexes: ServiceIndexes, core: CoreClient, save_images: bool) -> None:
        self.store = store
        self.indexes = indexes
        self.core = core
        self.save_images = save_images

    # Subjects

    def list_subjects(self, service_id: int) -> list[str]:
        return self.store.list_subjects(service_id)

    def add_subject(self, service_id: int, name: str) -> str:
        """A subject without faces yet (no index holds it until it has one)."""
        return self.store.add_subject(service_id, name)

    def rename_subject(self, service_id: int, old: str, new: str) -> bool:
        """Renames, or merges into the subject already called ``new``; whether anything changed."""
        renamed = self.store.rename_subject(service_id, old, new)
        if renamed is not None:
            self.indexes.subject_renamed(service_id, old, renamed)
        return renamed is not None

    def delete_subject(self, service_id: int, name: str) -> str:
        """Deletes the subject with its faces; its name as stored."""
        stored = self.store.delete_subject(service_id, name)
        self.indexes.subject_removed(service_id, stored)
        return stored

    def delete_all_subjects(self, service_id: int) -> int:
        deleted = self.store.delete_all_subjects(service_id)
        self.indexes.cleared(service_id)
        return deleted

    # Faces

    def add_face(self, service_id: int, subject: str, image: bytes, params: ImageParams) -> StoredFace:
        """Enrols the one face of ``image`` under ``subject`` (created when new)."""
        response = find_faces(self.core, image, params, ["calculator"], limit=2)
        if len(response.faces) > 1:
            raise errors.more_than_one_face()
        found = response.faces[0]
        vector = embedding(found)
        box = {"x_min": found.box.x_min, "y_min": found.box.y_min, "x_max": found.box.x_max, "y_max": found.box.y_max}
        stored = self.store.add_face(service_id, subject, vector, self.core.status().calculator_version,
                                     image if self.save_images else None, box)
        self.indexes.faces_added(service_id, Collection(0, [stored.face_id], [stored.subject], vector[np.newaxis]))
        return stored

    def list_faces(self, service_id: int, subject: str | None, page: int, size: int) -> FacePage:
        if page < 0 or size < 1:
            raise errors.validation("page should be >= 0 and size >= 1; ")
        faces, total = self.store.list_faces(service_id, subject, page, size)
        return FacePage(faces, page, size, total)

    def move_face(self, service_id: int, face_id: str, subject: str) -> StoredFace:
        """Gives a face to another subject (made when new); this server's index reloads the service."""
        moved = self.store.move_face(service_id, face_id, subject)
        self.indexes.reload(service_id)
        return moved

    def delete_faces_of(self, service_id: int, subject: str | None) -> int:
        """Deletes the subject with its faces, or every face when no subject is named; how many faces."""
        if subject is None or not subject.strip():
            deleted = self.store.delete_all_faces(service_id)
            self.indexes.cleared(service_id)
        else:
            deleted = self.store.delete_subject_faces(service_id, subject)
            self.indexes.subject_removed(service_id, subject)
        return deleted

    def delete_face(self, service_id: int, face_id: str) -> StoredFace:
        deleted = self.store.delete_face(service_id, face_id)
        self.indexes.faces_removed(service_id, [deleted.face_id])
        return deleted

    def delete_faces(self, service_id: int, face_ids: list[str]) -> list[StoredFace]:
        """Deletes those of the faces the service has; unknown ids are ignored."""
        deleted = self.store.delete_faces(service_id, face_ids)
        self.indexes.faces_removed(service_id, [face.face_id for face in deleted])
        return deleted

    def image(self, service_id: int, face_id: str) -> bytes:
        """The face's stored image (empty when images are not kept)."""
        return self.store.image(service_id, face_id) or b""

    def face(self, service_id: int, face_id: str) -> tuple[StoredFace, np.ndarray]:
        """A stored face and its embedding; code 44 when the service has no such face."""
        stored = self.store.face(service_id, face_id)
        if stored is None:
            raise errors.image_id_incorrect()
        return stored

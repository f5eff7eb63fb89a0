"""Face collections in the database: every write bumps the service's collection version and
announces the change with NOTIFY in the same transaction (db/notify.py, the api <-> api contract).
Views do not call it: api.services.collections pairs each write with the index update."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from common import errors
from db.models import Face, Service, StoredImage, Subject
from db.notify import CollectionChange, next_version, notify

NUL = "\x00"
MAX_SUBJECT_LENGTH = Subject.name.type.length  # add face takes longer names than POST /subjects (50)


@dataclass(frozen=True)
class StoredFace:
    face_id: str
    subject: str
    box: dict | None = None  # where the face is in its image (pixels), when known


@dataclass(frozen=True)
class Collection:
    """A service's whole collection as the index loads it, at one collection version."""

    version: int
    face_ids: list[str]
    subjects: list[str]
    embeddings: np.ndarray


def embedding_bytes(embedding: np.ndarray) -> bytes:
    return np.asarray(embedding, dtype="<f4").tobytes()


def embedding_array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


class CollectionStore:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    @contextmanager
    def _write(self, service_id: int) -> Iterator[tuple[Session, int]]:
        """A transaction holding the service row locked, with its next collection version."""
        with self.sessions.begin() as session:
            yield session, next_version(session, service_id)

    def _announce(self, session: Session, service_id: int, version: int, kind: str, **details: object) -> None:
        notify(session, CollectionChange(service_id=service_id, version=version, kind=kind, **details))

    # Subjects

    def list_subjects(self, service_id: int) -> list[str]:
        with self.sessions() as session:
            return list(session.scalars(select(Subject.name).where(Subject.service_id == service_id)
                                        .order_by(Subject.name)))

    def add_subject(self, service_id: int, name: str) -> str:
        _check_storable(name)
        with self._write(service_id) as (session, version):
            if _find_subject(session, service_id, name) is not None:
                raise errors.subject_exists()
            session.add(Subject(service_id=service_id, name=name))
            self._announce(session, service_id, version, "subject_added", new_name=name)
        return name

    def rename_subject(self, service_id: int, old: str, new: str) -> str | None:
        """Renames, or merges into an existing subject of the new name; the resulting name, or None
        when there is nothing to do."""
        if not new or new == old:
            return None
        _check_storable(new)
        with self._write(service_id) as (session, version):
            source = _find_subject(session, service_id, old)
            if source is None:
                raise errors.subject_not_found(old)
            target = _find_subject(session, service_id, new)
            if target is None or target.id == source.id:
                source.name = new
            else:
                session.execute(update(Face).where(Face.subject_id == source.id).values(subject_id=target.id))
                session.delete(source)
                new = target.name
            self._announce(session, service_id, version, "subject_renamed", old_name=old, new_name=new)
        return new

    def delete_subject(self, service_id: int, name: str) -> str:
        """Deletes a subject with its faces; its name as stored."""
        removed = self._remove_subject(service_id, name)
        if removed is None:
            raise errors.subject_not_found(name)
        return removed[0]

    def delete_all_subjects(self, service_id: int) -> int:
        """Empties the collection; the number of subjects deleted."""
        return self._clear(service_id)[0]

    def delete_all_faces(self, service_id: int) -> int:
        """Empties the collection; the number of faces deleted."""
        return self._clear(service_id)[1]

    def _clear(self, service_id: int) -> tuple[int, int]:
        with self._write(service_id) as (session, version):
            faces = session.execute(delete(Face).where(Face.service_id == service_id)).rowcount
            subjects = session.execute(delete(Subject).where(Subject.service_id == service_id)).rowcount
            self._announce(session, service_id, version, "collection_cleared")
            return subjects, faces

    # Faces

    def add_face(self, service_id: int, subject_name: str, embedding: np.ndarray, calculator: str,
                 image: bytes | None, box: dict | None = None) -> StoredFace:
        _check_storable(subject_name)
        face_id = uuid.uuid4()
        with self._write(service_id) as (session, version):
            subject = _subject_for(session, service_id, subject_name)
            session.add(Face(id=face_id, service_id=service_id, subject_id=subject.id,
                             embedding=embedding_bytes(embedding), calculator=calculator, box=box))
            if image is not None:
                session.flush()
                session.add(StoredImage(face_id=face_id, content=image))
            self._announce(session, service_id, version, "faces_added", face_ids=(str(face_id),))
            return StoredFace(str(face_id), subject.name)

    def list_faces(self, service_id: int, subject: str | None, page: int, size: int) -> tuple[list[StoredFace], int]:
        """One page of faces (oldest first) and the total count; ``subject`` filters exactly."""
        query = select(Face.id, Subject.name, Face.box).join(Subject, Face.subject_id == Subject.id) \
            .where(Face.service_id == service_id)
        if subject is not None:
            if NUL in subject:  # no stored name has one, and PostgreSQL refuses it even in a comparison
                return [], 0
            query = query.where(Subject.name == subject)
        with self.sessions() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.execute(query.order_by(Face.created_at, Face.id).offset(page * size).limit(size))
            return [StoredFace(str(face_id), name, box) for face_id, name, box in rows], total

    def move_face(self, service_id: int, face_id: str, subject_name: str) -> StoredFace:
        """Give a face to another subject (made when there is none of that name); every api server
        reloads the service's index."""
        _check_storable(subject_name)
        parsed = _uuid_or_none(face_id)
        with self._write(service_id) as (session, version):
            face = None if parsed is None else session.scalar(
                select(Face).where(Face.service_id == service_id, Face.id == parsed))
            if face is None:
                raise errors.image_not_found(face_id)
            subject = _subject_for(session, service_id, subject_name)
            face.subject_id = subject.id
            self._announce(session, service_id, version, "reload")
            return StoredFace(str(face.id), subject.name, face.box)

    def delete_face(self, service_id: int, face_id: str) -> StoredFace:
        deleted = self.delete_faces(service_id, [face_id])
        if not deleted:
            raise errors.image_not_found(face_id)
        return deleted[0]

    def delete_faces(self, service_id: int, face_ids: Sequence[str]) -> list[StoredFace]:
        """Deletes the given faces of this service; ids that are unknown or malformed are ignored."""
        ids = [parsed for parsed in map(_uuid_or_none, face_ids) if parsed is not None]
        if not ids:
            return []
        with self._write(service_id) as (session, version):
            rows = session.execute(
                delete(Face).where(Face.service_id == service_id, Face.id.in_(ids))
                .returning(Face.id, Face.subject_id)
            ).all()
            names = dict(session.execute(select(Subject.id, Subject.name)
                                         .where(Subject.id.in_({row.subject_id for row in rows}))).all())
            deleted = [StoredFace(str(row.id), names[row.subject_id]) for row in rows]
            self._announce(session, service_id, version, "faces_removed",
                           face_ids=tuple(face.face_id for face in deleted))
            return deleted

    def delete_subject_faces(self, service_id: int, name: str) -> int:
        """Deletes a subject's faces and the subject itself (CompreFace's delete by subject); how many faces."""
        removed = self._remove_subject(service_id, name)
        return 0 if removed is None else len(removed[1])

    def _remove_subject(self, service_id: int, name: str) -> tuple[str, list[str]] | None:
        """(stored name, deleted face ids), or None when the service has no such subject."""
        try:
            with self._write(service_id) as (session, version):
                subject = _find_subject(session, service_id, name)
                if subject is None:
                    raise _Unchanged  # rolls back the version bump
                face_ids = self._delete_faces(session, Face.subject_id == subject.id)
                session.delete(subject)
                self._announce(session, service_id, version, "faces_removed", face_ids=tuple(face_ids),
                               old_name=subject.name)
                return subject.name, face_ids
        except _Unchanged:
            return None

    def _delete_faces(self, session: Session, condition) -> list[str]:
        return [str(face_id) for face_id in session.scalars(delete(Face).where(condition).returning(Face.id))]

    def face(self, service_id: int, face_id: str) -> tuple[StoredFace, np.ndarray] | None:
        parsed = _uuid_or_none(face_id)
        if parsed is None:
            return None
        with self.sessions() as session:
            row = session.execute(select(Face.id, Subject.name, Face.embedding)
                                  .join(Subject, Face.subject_id == Subject.id)
                                  .where(Face.service_id == service_id, Face.id == parsed)).first()
        return None if row is None else (StoredFace(str(row.id), row.name), embedding_array(row.embedding))

    def image(self, service_id: int, face_id: str) -> bytes | None:
        parsed = _uuid_or_none(face_id)
        if parsed is None:
            return None
        with self.sessions() as session:
            return session.scalar(select(StoredImage.content).join(Face, StoredImage.face_id == Face.id)
                                  .where(Face.service_id == service_id, Face.id == parsed))

    # Loading

    def collection(self, service_id: int) -> Collection:
        """The whole collection and its version, read in one snapshot."""
        with self.sessions() as session:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            version = session.scalar(select(Service.collection_version).where(Service.id == service_id)) or 0
            rows = session.execute(select(Face.id, Subject.name, Face.embedding)
                                   .join(Subject, Face.subject_id == Subject.id)
                                   .where(Face.service_id == service_id)).all()
        return _as_collection(version, rows)

    def faces_by_id(self, service_id: int, face_ids: Sequence[str]) -> Collection:
        ids = [parsed for parsed in map(_uuid_or_none, face_ids) if parsed is not None]
        with self.sessions() as session:
            rows = session.execute(select(Face.id, Subject.name, Face.embedding)
                                   .join(Subject, Face.subject_id == Subject.id)
                                   .where(Face.service_id == service_id, Face.id.in_(ids))).all()
        return _as_collection(0, rows)


def _as_collection(version: int, rows: Sequence) -> Collection:
    if not rows:
        return Collection(version, [], [], np.zeros((0, 0), dtype=np.float32))
    embeddings = np.frombuffer(b"".join(row.embedding for row in rows), dtype="<f4").reshape(len(rows), -1)
    return Collection(version, [str(row.id) for row in rows], [row.name for row in rows], embeddings)


class _Unchanged(Exception):
    """Raised inside a write to roll it back when it turns out to change nothing."""


def _find_subject(session: Session, service_id: int, name: str) -> Subject | None:
    if NUL in name:  # no stored name has one, and PostgreSQL refuses it even in a comparison
        return None
    return session.scalar(select(Subject).where(Subject.service_id == service_id,
                                                func.lower(Subject.name) == name.lower()))


def _subject_for(session: Session, service_id: int, name: str) -> Subject:
    """The subject of that name, made when there is none."""
    subject = _find_subject(session, service_id, name)
    if subject is None:
        subject = Subject(service_id=service_id, name=name)
        session.add(subject)
        session.flush()
    return subject


def _check_storable(name: str) -> None:
    """Code 26 for a subject name the database cannot hold (its column width, or a NUL character)."""
    if len(name) > MAX_SUBJECT_LENGTH:
        raise errors.validation(f"Subject name size must be between 1 and {MAX_SUBJECT_LENGTH}")
    if NUL in name:
        raise errors.validation("Subject name cannot contain the NUL character")


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None

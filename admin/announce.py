"""The admin's announcements to the api servers (db.notify): sent in the caller's transaction, so
that they are delivered exactly when its changes commit."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import Service
from db.notify import ChangeKind, CollectionChange, notify


def service_deleted(db: Session, service: Service) -> None:
    """``service`` is being deleted: servers drop its index."""
    notify(db, CollectionChange(service.id, service.collection_version, "service_deleted"))


def next_version(db: Session, service_id: int, kind: ChangeKind) -> int:
    """Bump the service's ``collection_version`` and announce ``kind`` with it (the sequence of
    versions stays unbroken, so that receivers see no gap); the new version."""
    version = db.scalar(update(Service).where(Service.id == service_id)
                        .values(collection_version=Service.collection_version + 1)
                        .returning(Service.collection_version))
    notify(db, CollectionChange(service_id, version, kind))
    return version

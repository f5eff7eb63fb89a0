"""The admin's announcements to the api servers (db.notify): sent in the caller's transaction, so
that they are delivered exactly when its changes commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Service
from db.notify import ChangeKind, CollectionChange, next_version, notify


def service_deleted(db: Session, service: Service) -> None:
    """``service`` is being deleted: servers drop its index."""
    notify(db, CollectionChange(service.id, service.collection_version, "service_deleted"))


def change(db: Session, service_id: int, kind: ChangeKind) -> int:
    """Bump the service's ``collection_version`` and announce ``kind`` with it (the sequence of
    versions stays unbroken, so that receivers see no gap); the new version."""
    version = next_version(db, service_id)
    notify(db, CollectionChange(service_id, version, kind))
    return version

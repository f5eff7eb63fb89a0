"""Statistics of a service: requests per day (from the api servers' hourly counts) and the size
of its collection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin import errors
from admin.services import get_service
from admin.permissions import Actor
from db.models import Face, RequestCount, Service, StoredImage, Subject

MAX_DAYS = 366


@dataclass(frozen=True)
class ServiceStatistics:
    service: Service
    subjects: int
    faces: int
    images: int
    requests_per_day: list[tuple[date, int]]  # newest first; days without requests left out


def collection_size(db: Session, service_id: int) -> tuple[int, int, int]:
    """Subjects, faces and stored images of the service."""
    subjects = db.scalar(select(func.count()).select_from(Subject).where(Subject.service_id == service_id))
    faces = db.scalar(select(func.count()).select_from(Face).where(Face.service_id == service_id))
    images = db.scalar(select(func.count()).select_from(StoredImage).join(Face, Face.id == StoredImage.face_id)
                       .where(Face.service_id == service_id))
    return subjects, faces, images


def requests_per_day(db: Session, service_id: int, days: int) -> list[tuple[date, int]]:
    """Requests per UTC day over the last ``days`` days (today included), newest first."""
    since = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    day = func.date(func.timezone("UTC", RequestCount.hour))
    rows = db.execute(select(day, func.sum(RequestCount.count))
                      .where(RequestCount.service_id == service_id, RequestCount.hour >= since)
                      .group_by(day).order_by(day.desc()))
    return [(row[0], int(row[1])) for row in rows]


def service_statistics(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID,
                       days: int = 30) -> ServiceStatistics:
    """Every member of the application may read them."""
    if not 1 <= days <= MAX_DAYS:
        raise errors.validation(f"days must be between 1 and {MAX_DAYS}")
    service = get_service(db, actor, app_guid, service_guid)
    return ServiceStatistics(service, *collection_size(db, service.id), requests_per_day(db, service.id, days))

"""Face services of an application: create, rename, delete, clone, API keys. Changes that api
servers cache are announced to them in the same transaction (admin.announce)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from admin import announce, errors
from admin.applications import authorize, check_name, flush_unique
from admin.permissions import Action, Actor
from common.recognition_settings import parse_fraction, parse_threshold
from db.models import Service, ServiceType

# CompreFace's name of the verification type, accepted as well.
TYPE_ALIASES = {"VERIFY": ServiceType.VERIFICATION}


def parse_type(value: object) -> ServiceType:
    """``RECOGNITION``, ``DETECTION`` or ``VERIFICATION`` (also ``VERIFY``), any case."""
    name = value.strip().upper() if isinstance(value, str) else ""
    if name in TYPE_ALIASES:
        return TYPE_ALIASES[name]
    try:
        return ServiceType[name]
    except KeyError:
        raise errors.validation(f"type must be one of {', '.join(ServiceType)}") from None


def list_services(db: Session, actor: Actor, app_guid: uuid.UUID) -> list[Service]:
    access = authorize(db, actor, app_guid, Action.VIEW_APP)
    return list(db.scalars(select(Service).where(Service.app_id == access.app.id)
                           .order_by(func.lower(Service.name))))


def get_service(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID,
                action: Action = Action.VIEW_APP) -> Service:
    """The service ``service_guid`` of application ``app_guid`` when ``actor`` may do ``action``
    (code 3 when the application has no such service)."""
    access = authorize(db, actor, app_guid, action)
    service = db.scalar(select(Service).where(Service.app_id == access.app.id, Service.guid == service_guid))
    if service is None:
        raise errors.service_not_found(service_guid)
    return service


def create_service(db: Session, actor: Actor, app_guid: uuid.UUID, name: object,
                   service_type: ServiceType) -> Service:
    """A new service with a new API key. Names are unique within the application, ignoring case."""
    access = authorize(db, actor, app_guid, Action.MANAGE_SERVICES)
    name = _unique_name(db, access.app.id, name)
    service = Service(app_id=access.app.id, name=name, type=service_type)
    db.add(service)
    flush_unique(db, name)
    return service


def rename_service(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID,
                   name: object) -> Service:
    service = get_service(db, actor, app_guid, service_guid, Action.MANAGE_SERVICES)
    name = check_name(name, "Service")
    if name.lower() != service.name.lower():
        _unique_name(db, service.app_id, name)
    service.name = name
    flush_unique(db, name)
    return service


def delete_service(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID) -> None:
    """Delete the service with its collection and statistics; api servers drop its index."""
    service = get_service(db, actor, app_guid, service_guid, Action.MANAGE_SERVICES)
    announce.service_deleted(db, service)
    db.delete(service)
    db.flush()


def regenerate_key(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID) -> Service:
    """Give the service a new API key. The api servers check keys against the database on every
    request, so the old key fails at once; ``key_regenerated`` tells them all the same."""
    service = get_service(db, actor, app_guid, service_guid, Action.MANAGE_SERVICES)
    service.api_key = uuid.uuid4()
    db.flush()
    service.collection_version = announce.change(db, service.id, "key_regenerated")
    return service


def clone_service(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID,
                  name: object) -> Service:
    """A new service (new guid, new API key) of the same type in the same application, with a
    copy of the whole collection: subjects, faces and stored images, copied inside PostgreSQL.

    The source service's row is share-locked first, so that collection writes wait until the copy
    is done and the copy is of one consistent state. The clone starts at collection version 1,
    announced as a ``reload`` so that api servers load it.
    """
    source = get_service(db, actor, app_guid, service_guid, Action.MANAGE_SERVICES)
    name = _unique_name(db, source.app_id, name)
    db.execute(select(Service.id).where(Service.id == source.id).with_for_update(read=True))
    clone = Service(app_id=source.app_id, name=name, type=source.type)
    db.add(clone)
    flush_unique(db, name)
    for statement in _CLONE_STATEMENTS:
        db.execute(statement, {"source": source.id, "clone": clone.id})
    clone.collection_version = announce.change(db, clone.id, "reload")
    return clone


# New random ids for the copied subjects and faces, through two temporary mapping tables.
_CLONE_STATEMENTS = [text(sql) for sql in (
    "CREATE TEMPORARY TABLE clone_subjects AS "
    "SELECT id AS old_id, gen_random_uuid() AS new_id FROM subjects WHERE service_id = :source",
    "INSERT INTO subjects (id, service_id, name) "
    "SELECT m.new_id, :clone, s.name FROM subjects s JOIN clone_subjects m ON m.old_id = s.id",
    "CREATE TEMPORARY TABLE clone_faces AS "
    "SELECT id AS old_id, gen_random_uuid() AS new_id FROM faces WHERE service_id = :source",
    "INSERT INTO faces (id, service_id, subject_id, embedding, calculator, created_at) "
    "SELECT fm.new_id, :clone, sm.new_id, f.embedding, f.calculator, f.created_at FROM faces f "
    "JOIN clone_faces fm ON fm.old_id = f.id JOIN clone_subjects sm ON sm.old_id = f.subject_id",
    "INSERT INTO stored_images (face_id, content) "
    "SELECT fm.new_id, i.content FROM stored_images i JOIN clone_faces fm ON fm.old_id = i.face_id",
    "DROP TABLE clone_subjects, clone_faces",
)]


def _unique_name(db: Session, app_id: int, name: object) -> str:
    name = check_name(name, "Service")
    taken = select(Service.id).where(Service.app_id == app_id, func.lower(Service.name) == name.lower())
    if db.scalar(taken) is not None:
        raise errors.name_taken(name)
    return name


SETTING_FIELDS = {"similarityThreshold", "strangerTarget", "minQuality"}


def update_recognition_settings(db: Session, actor: Actor, app_guid: uuid.UUID, service_guid: uuid.UUID,
                                fields: dict[str, object]) -> Service:
    """Changes the given settings of a recognition service (common/recognition_settings.py);
    a null similarityThreshold or minQuality returns to the default. The api servers read them
    with the key on every request, so the change applies at once."""
    service = get_service(db, actor, app_guid, service_guid, Action.MANAGE_SERVICES)
    if service.type != ServiceType.RECOGNITION:
        raise errors.validation("Recognition settings apply to recognition services only")
    unknown = set(fields) - SETTING_FIELDS
    if unknown:
        raise errors.validation(f"Unknown settings: {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(sorted(SETTING_FIELDS))})")
    if "similarityThreshold" in fields:
        value = fields["similarityThreshold"]
        if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
            raise errors.validation("similarityThreshold should be a number between 0 and 1, auto, or null")
        service.similarity_threshold = None if value is None else parse_threshold(str(value), "similarityThreshold")
    if "strangerTarget" in fields:
        service.stranger_target = parse_fraction(fields["strangerTarget"], "strangerTarget", low_open=True)
    if "minQuality" in fields:
        value = fields["minQuality"]
        service.min_quality = None if value is None else parse_fraction(value, "minQuality", low_open=False)
    db.flush()
    return service

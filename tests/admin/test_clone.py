"""Cloning copies the whole collection inside PostgreSQL: subjects, faces and stored images, with
new ids, in one transaction, and fast enough for large collections."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select, text

from db.models import Face, Service, StoredImage, Subject
from tests.admin.client import FlaskClient

SUBJECTS, FACES, IMAGES = 2_000, 100_000, 1_000




def _fill(sessions, service_id: int) -> None:
    """SUBJECTS subjects with FACES faces between them (small embeddings: the copy's cost is in
    the rows), IMAGES of them with a stored image."""
    with sessions.begin() as db:
        db.execute(text("INSERT INTO subjects (id, service_id, name) SELECT gen_random_uuid(), :service, "
                        "'person ' || n FROM generate_series(1, :subjects) n"),
                   {"service": service_id, "subjects": SUBJECTS})
        db.execute(text(
            "INSERT INTO faces (id, service_id, subject_id, embedding, calculator) "
            "SELECT gen_random_uuid(), :service, s.id, decode(md5(s.name || n), 'hex'), 'test' "
            "FROM subjects s CROSS JOIN generate_series(1, :per_subject) n WHERE s.service_id = :service"),
            {"service": service_id, "per_subject": FACES // SUBJECTS})
        db.execute(text("INSERT INTO stored_images (face_id, content) SELECT id, embedding || 'jpeg' "
                        "FROM faces WHERE service_id = :service LIMIT :images"),
                   {"service": service_id, "images": IMAGES})


def _collection(db, service_id: int) -> tuple[set, set, dict]:
    """(subject ids, face ids, {(subject name, embedding): image content or None})."""
    subject_ids = set(db.scalars(select(Subject.id).where(Subject.service_id == service_id)))
    rows = db.execute(select(Face.id, Subject.name, Face.embedding, StoredImage.content)
                      .join(Subject, Subject.id == Face.subject_id)
                      .outerjoin(StoredImage, StoredImage.face_id == Face.id)
                      .where(Face.service_id == service_id)).all()
    return subject_ids, {row.id for row in rows}, {(row.name, row.embedding): row.content for row in rows}


def test_clone_copies_every_subject_face_and_image_quickly(owner: FlaskClient, sessions) -> None:
    app_id = owner.post("/apps", {"name": "Big"}).ok(201)["id"]
    source = owner.post(f"/apps/{app_id}/services", {"name": "big", "type": "RECOGNITION"}).ok(201)
    with sessions() as db:
        source_id = db.scalar(select(Service.id).where(Service.guid == uuid.UUID(source["id"])))
    _fill(sessions, source_id)

    started = time.perf_counter()
    clone = owner.post(f"/apps/{app_id}/services/{source['id']}/clone", {"name": "big copy"}).ok(201)
    elapsed = time.perf_counter() - started

    assert elapsed < 30, f"cloning {FACES} faces took {elapsed:.1f} s"
    assert clone["type"] == "RECOGNITION" and clone["apiKey"] != source["apiKey"] and clone["id"] != source["id"]
    detail = owner.get(f"/apps/{app_id}/services/{clone['id']}").ok()
    assert (detail["subjectCount"], detail["faceCount"], detail["imageCount"]) == (SUBJECTS, FACES, IMAGES)
    with sessions() as db:
        clone_service = db.scalar(select(Service).where(Service.guid == uuid.UUID(clone["id"])))
        original, copied = _collection(db, source_id), _collection(db, clone_service.id)
    assert clone_service.collection_version == 1
    assert not original[0] & copied[0] and not original[1] & copied[1]  # new ids
    assert copied[2] == original[2] and len(copied[2]) == FACES


def test_a_clone_needs_a_free_name(owner: FlaskClient) -> None:
    app_id = owner.post("/apps", {"name": "Names"}).ok(201)["id"]
    source = owner.post(f"/apps/{app_id}/services", {"name": "one", "type": "DETECTION"}).ok(201)
    owner.post(f"/apps/{app_id}/services/{source['id']}/clone", {"name": "ONE"}).error(400, 17)
    owner.post(f"/apps/{app_id}/services/{source['id']}/clone", {}).error(400, 26)
    assert owner.post(f"/apps/{app_id}/services/{source['id']}/clone", {"name": "two"}).ok(201)["type"] == "DETECTION"

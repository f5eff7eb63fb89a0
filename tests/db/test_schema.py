"""Constraints of the schema that the services rely on."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Application, Face, RequestCount, Service, ServiceType, StoredImage, Subject, User


def _service(session: Session, name: str = "faces", app: str = "app") -> Service:
    application = session.scalar(select(Application).where(Application.name == app)) or Application(name=app)
    service = Service(application=application, name=name, type=ServiceType.RECOGNITION)
    session.add(service)
    session.flush()
    return service


def test_subject_names_are_unique_per_service_ignoring_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first, second = _service(session, "first"), _service(session, "second")
        session.add_all([Subject(service_id=first.id, name="Alice"), Subject(service_id=second.id, name="alice")])
    with pytest.raises(IntegrityError, match="subjects_service_name_lower"):
        with sessions.begin() as session:
            session.add(Subject(service_id=first.id, name="alice"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subject)) == 2


def test_service_names_are_unique_per_application_ignoring_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _service(session, "Faces", app="one")
        _service(session, "faces", app="two")
    with pytest.raises(IntegrityError, match="services_app_name_lower"):
        with sessions.begin() as session:
            _service(session, "FACES", app="one")


def test_user_emails_are_unique_ignoring_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(User(email="Ann@example.com", password_hash="x"))
    with pytest.raises(IntegrityError, match="users_email_lower"):
        with sessions.begin() as session:
            session.add(User(email="ann@EXAMPLE.com", password_hash="y"))


def test_deleting_a_service_deletes_its_collection(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        doomed, kept = _service(session, "doomed"), _service(session, "kept")
        for service in (doomed, kept):
            subject = Subject(service_id=service.id, name="Alice")
            session.add(subject)
            session.flush()
            face = Face(service_id=service.id, subject_id=subject.id, embedding=b"\0" * 2048, calculator="test")
            session.add(face)
            session.flush()
            session.add_all([StoredImage(face_id=face.id, content=b"jpeg"),
                             RequestCount(service_id=service.id, hour=func.date_trunc("hour", func.now()), count=1)])
    with sessions.begin() as session:
        session.delete(session.get(Service, doomed.id))
    with sessions() as session:
        for model in (Subject, Face, RequestCount):
            assert session.scalars(select(model.service_id)).all() == [kept.id]
        assert session.scalar(select(func.count()).select_from(StoredImage)) == 1


def test_deleting_an_application_deletes_its_services(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = _service(session)
        session.add(Subject(service_id=service.id, name="Alice"))
    with sessions.begin() as session:
        session.delete(session.get(Application, service.app_id))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0
        assert session.scalar(select(func.count()).select_from(Subject)) == 0


def test_defaults(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        service = _service(session)
    assert service.collection_version == 0
    assert isinstance(service.api_key, uuid.UUID) and service.api_key.version == 4
    assert service.created_at.tzinfo is not None

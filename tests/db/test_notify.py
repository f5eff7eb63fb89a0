"""Collection changes reach the other servers on commit only, and survive the trip intact."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Application, Service, ServiceType
from db.notify import MAX_PAYLOAD_BYTES, PROCESS_ID, CollectionChange, notify
from tests.support.notifications import NotificationListener


@pytest.fixture
def listener(db_url: str) -> Iterator[NotificationListener]:
    listener = NotificationListener(db_url)
    yield listener
    listener.close()


@pytest.fixture
def service_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        service = Service(application=Application(name="app"), name="faces", type=ServiceType.RECOGNITION)
        session.add(service)
    return service.id


def _write(session: Session, service_id: int, kind: str, **fields: object) -> CollectionChange:
    """A collection write as the api servers do it: bump the version, notify, same transaction."""
    version = session.scalar(update(Service).where(Service.id == service_id)
                             .values(collection_version=Service.collection_version + 1)
                             .returning(Service.collection_version))
    return notify(session, CollectionChange(service_id, version, kind, **fields))


def test_delivered_on_commit_only(sessions: sessionmaker[Session], listener: NotificationListener, service_id: int) -> None:
    face_ids = (str(uuid.uuid4()), str(uuid.uuid4()))
    with sessions() as session:
        sent = _write(session, service_id, "faces_added", face_ids=face_ids)
        session.flush()
        assert listener.received(0.3) == []
        session.commit()
    payloads = listener.received(5)
    assert len(payloads) == 1
    received = CollectionChange.from_payload(payloads[0])
    assert received == sent == CollectionChange(service_id, 1, "faces_added", face_ids=face_ids,
                                                sender=PROCESS_ID)


def test_nothing_after_rollback(sessions: sessionmaker[Session], listener: NotificationListener, service_id: int) -> None:
    with sessions() as session:
        _write(session, service_id, "collection_cleared")
        session.rollback()
    assert listener.received(0.3) == []
    with sessions.begin() as session:
        _write(session, service_id, "subject_renamed", old_name="Alice", new_name="Alicia")
    [payload] = listener.received(5)
    assert CollectionChange.from_payload(payload) == CollectionChange(service_id, 1, "subject_renamed",
                                                                      old_name="Alice", new_name="Alicia")


def test_oversized_face_lists_become_a_reload(sessions: sessionmaker[Session], listener: NotificationListener,
                                              service_id: int) -> None:
    face_ids = tuple(str(uuid.uuid4()) for _ in range(1000))
    with sessions.begin() as session:
        sent = _write(session, service_id, "faces_removed", face_ids=face_ids)
    assert sent == CollectionChange(service_id, 1, "reload")
    [payload] = listener.received(5)
    assert CollectionChange.from_payload(payload) == sent


def test_the_largest_list_that_fits_is_sent_as_is() -> None:
    """About 200 face ids fit in one message; the limit is PostgreSQL's, in bytes."""
    change = CollectionChange(1, 1, "faces_added", face_ids=tuple(str(uuid.uuid4()) for _ in range(200)))
    assert len(change.to_payload().encode()) <= MAX_PAYLOAD_BYTES


def test_payload_is_compact_json() -> None:
    change = CollectionChange(7, 42, "key_regenerated", sender="me")
    assert change.to_payload() == '{"service_id":7,"version":42,"kind":"key_regenerated","sender":"me"}'
    renamed = CollectionChange(7, 43, "subject_renamed", old_name="Zoë", new_name="Zoe")
    assert CollectionChange.from_payload(renamed.to_payload()) == renamed


def test_unknown_fields_are_ignored_and_bad_payloads_refused() -> None:
    payload = json.dumps({"service_id": 1, "version": 2, "kind": "reload", "sender": "x", "future": True})
    assert CollectionChange.from_payload(payload) == CollectionChange(1, 2, "reload", sender="x")
    for bad in ("", "[]", "{}", '{"service_id":1,"version":2,"kind":"exploded","sender":"x"}'):
        with pytest.raises(ValueError):
            CollectionChange.from_payload(bad)

"""The api ↔ api contract: announcements of collection changes over PostgreSQL LISTEN/NOTIFY.

Every collection write bumps its service's ``collection_version`` and calls :func:`notify` in the
same transaction; PostgreSQL delivers the notification to every listener of
:data:`COLLECTION_CHANNEL` only when that transaction commits, and never when it rolls back.
A receiver applies every change in commit order, its own included (a server also applies its own
writes at once; applying them again is harmless), and reloads the service from the database when
the message says ``reload``, when it sees a gap in the service's versions, or after it reconnects
(it may have missed messages). ``sender`` tells the servers apart in logs.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from db.models import Service

COLLECTION_CHANNEL = "likeness_collection"

# PostgreSQL refuses payloads of 8000 bytes or more (the default build's limit).
MAX_PAYLOAD_BYTES = 7999

ChangeKind = Literal["faces_added", "faces_removed", "subject_added", "subject_renamed", "collection_cleared",
                     "service_deleted", "key_regenerated", "reload"]
CHANGE_KINDS: frozenset[str] = frozenset(get_args(ChangeKind))

# Identifies this process's messages, so that a server can skip the ones it sent.
PROCESS_ID = str(uuid.uuid4())


@dataclass(frozen=True)
class CollectionChange:
    """One change to a service's collection, or to the service itself.

    ``version`` is the service's ``collection_version`` after the change. ``face_ids`` are the
    faces added or removed; ``new_name`` the subject added (a subject without faces yet: it
    changes no index, but its version keeps the sequence unbroken); ``old_name``/``new_name`` the
    subject renamed. ``reload`` means: load the whole service again from the database.
    """

    service_id: int
    version: int
    kind: ChangeKind
    face_ids: tuple[str, ...] = ()
    old_name: str | None = None
    new_name: str | None = None
    sender: str = PROCESS_ID

    def __post_init__(self) -> None:
        if self.kind not in CHANGE_KINDS:
            raise ValueError(f"unknown collection change kind {self.kind!r}")

    def to_payload(self) -> str:
        """Compact JSON; fields left at their empty default are omitted."""
        fields = {name: value for name, value in dataclasses.asdict(self).items() if value not in (None, ())}
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_payload(cls, payload: str) -> CollectionChange:
        """Parse :meth:`to_payload`'s JSON; unknown fields are ignored (a newer sender may add
        some). Raises ValueError when the payload is not a collection change."""
        try:
            fields = json.loads(payload)
            return cls(service_id=int(fields["service_id"]), version=int(fields["version"]), kind=fields["kind"],
                       face_ids=tuple(str(face_id) for face_id in fields.get("face_ids", ())),
                       old_name=fields.get("old_name"), new_name=fields.get("new_name"),
                       sender=str(fields["sender"]))
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a collection change: {payload[:200]!r}") from error


def notify(target: Session | Connection, change: CollectionChange) -> CollectionChange:
    """Queue ``change`` on :data:`COLLECTION_CHANNEL` in ``target``'s current transaction; it is
    delivered when that transaction commits.

    A payload that would reach PostgreSQL's limit (:data:`MAX_PAYLOAD_BYTES`; about 200 face ids)
    is replaced by a ``reload`` of the service, with the same version. Returns what was sent.
    """
    if len(change.to_payload().encode()) > MAX_PAYLOAD_BYTES:
        change = CollectionChange(change.service_id, change.version, "reload", sender=change.sender)
    target.execute(text("SELECT pg_notify(:channel, :payload)"),
                   {"channel": COLLECTION_CHANNEL, "payload": change.to_payload()})
    return change


def next_version(session: Session, service_id: int) -> int:
    """Bump the service's ``collection_version`` (locking its row until commit, so versions follow
    commit order) and return it; the caller announces its change with that version."""
    return session.scalar(update(Service).where(Service.id == service_id)
                          .values(collection_version=Service.collection_version + 1)
                          .returning(Service.collection_version))

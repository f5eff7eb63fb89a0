"""Subjects of a recognition service's collection."""

from __future__ import annotations

from flask import Blueprint, request

from api import errors
from api.app import json_response, platform
from db.models import ServiceType

blueprint = Blueprint("subjects", __name__)
FORBIDDEN_CHARACTERS = (";", "/", "\\")


def subject_name(body: object) -> str:
    """The ``subject`` of a JSON body, validated as CompreFace's subject DTO."""
    name = body.get("subject") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise errors.validation("Subject name cannot be empty")
    if len(name) > 50:
        raise errors.validation("Subject name size must be between 1 and 50")
    if any(character in name for character in FORBIDDEN_CHARACTERS):
        raise errors.bad_subject_name()
    return name


def _service_id() -> int:
    return platform().keys.service(request, ServiceType.RECOGNITION).id


@blueprint.post("/api/v1/recognition/subjects")
def add_subject():
    service_id = _service_id()
    name = platform().store.add_subject(service_id, subject_name(request.get_json(silent=True)))
    return json_response({"subject": name}, 201)


@blueprint.get("/api/v1/recognition/subjects")
@blueprint.get("/api/v1/recognition/subjects/")
def list_subjects():
    return json_response({"subjects": platform().store.list_subjects(_service_id())})


@blueprint.put("/api/v1/recognition/subjects/<path:subject>")
def rename_subject(subject: str):
    service_id = _service_id()
    body = request.get_json(silent=True)
    new = body.get("subject") if isinstance(body, dict) else None
    if isinstance(new, str) and new and new != subject:
        new = subject_name(body)
    renamed = platform().store.rename_subject(service_id, subject, new if isinstance(new, str) else "")
    if renamed is not None:
        platform().indexes.subject_renamed(service_id, subject, renamed)
    return json_response({"updated": renamed is not None})


@blueprint.delete("/api/v1/recognition/subjects/<path:subject>")
def delete_subject(subject: str):
    service_id = _service_id()
    name = platform().store.delete_subject(service_id, subject)
    platform().indexes.subject_removed(service_id, name)
    return json_response({"subject": name})


@blueprint.delete("/api/v1/recognition/subjects")
def delete_all_subjects():
    service_id = _service_id()
    deleted = platform().store.delete_all_subjects(service_id)
    platform().indexes.cleared(service_id)
    return json_response({"deleted": deleted})

"""Subjects of a recognition service's collection."""

from __future__ import annotations

from flask import Blueprint, request

from api.views.common import service, state
from common.names import subject_name
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("subjects", __name__)


def _subject(body: object) -> object:
    return body.get("subject") if isinstance(body, dict) else None


@blueprint.post("/api/v1/recognition/subjects")
def add_subject():
    service_id = service(ServiceType.RECOGNITION).id
    name = state().collections.add_subject(service_id, subject_name(_subject(request.get_json(silent=True))))
    return json_response({"subject": name}, 201)


@blueprint.get("/api/v1/recognition/subjects")
@blueprint.get("/api/v1/recognition/subjects/")
def list_subjects():
    return json_response({"subjects": state().collections.list_subjects(service(ServiceType.RECOGNITION).id)})


@blueprint.put("/api/v1/recognition/subjects/<path:subject>")
def rename_subject(subject: str):
    service_id = service(ServiceType.RECOGNITION).id
    new = _subject(request.get_json(silent=True))
    if isinstance(new, str) and new and new != subject:
        new = subject_name(new)
    updated = state().collections.rename_subject(service_id, subject, new if isinstance(new, str) else "")
    return json_response({"updated": updated})


@blueprint.delete("/api/v1/recognition/subjects/<path:subject>")
def delete_subject(subject: str):
    name = state().collections.delete_subject(service(ServiceType.RECOGNITION).id, subject)
    return json_response({"subject": name})


@blueprint.delete("/api/v1/recognition/subjects")
def delete_all_subjects():
    deleted = state().collections.delete_all_subjects(service(ServiceType.RECOGNITION).id)
    return json_response({"deleted": deleted})

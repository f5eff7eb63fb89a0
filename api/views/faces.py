"""Faces (examples) of a recognition service's collection, their images, and verification against one."""

from __future__ import annotations

from flask import Blueprint, Response, request

from api import params
from api.views import render
from api.views.common import image, service, state
from common import errors
from common.names import subject_name
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("faces", __name__)
IMAGE_CACHE_CONTROL = "public, max-age=31536000"


def _service_id() -> int:
    return service(ServiceType.RECOGNITION).id


@blueprint.post("/api/v1/recognition/faces")
def add_face():
    service_id = _service_id()
    subject = params.raw(request, "subject")
    if subject is None or not subject.strip():
        raise errors.validation("Subject name is empty; ")
    image_params = params.image_params(request)
    stored = state().collections.add_face(service_id, subject, image(), image_params)
    return json_response({"image_id": stored.face_id, "subject": stored.subject}, 201)


@blueprint.get("/api/v1/recognition/faces")
def list_faces():
    service_id = _service_id()
    page = params.integer(request, "page", 0)
    size = params.integer(request, "size", 20)
    found = state().collections.list_faces(service_id, params.raw(request, "subject"), page, size)
    return json_response({
        # "box" is an addition to CompreFace's listing: where the face is in its stored image.
        "faces": [{"image_id": face.face_id, "subject": face.subject, "box": face.box} for face in found.faces],
        "page_number": found.page, "page_size": found.size,
        "total_pages": found.pages, "total_elements": found.total,
    })


@blueprint.delete("/api/v1/recognition/faces")
def delete_faces_of_subject():
    deleted = state().collections.delete_faces_of(_service_id(), params.raw(request, "subject"))
    return json_response({"deleted": deleted})


@blueprint.delete("/api/v1/recognition/faces/<image_id>")
def delete_face(image_id: str):
    deleted = state().collections.delete_face(_service_id(), image_id)
    return json_response({"image_id": deleted.face_id, "subject": deleted.subject})


@blueprint.put("/api/v1/recognition/faces/<image_id>")
def move_face(image_id: str):
    """An addition: give the face to another subject (made when there is none of that name)."""
    body = request.get_json(silent=True)
    subject = subject_name(body.get("subject") if isinstance(body, dict) else None)
    moved = state().collections.move_face(_service_id(), image_id, subject)
    return json_response({"image_id": moved.face_id, "subject": moved.subject})


@blueprint.post("/api/v1/recognition/faces/delete")
def delete_many_faces():
    service_id = _service_id()
    ids = request.get_json(silent=True)
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise errors.validation("The body should be a JSON array of image ids; ")
    deleted = state().collections.delete_faces(service_id, ids)
    return json_response([{"image_id": face.face_id, "subject": face.subject} for face in deleted])


def _image_response(service_id: int, image_id: str) -> Response:
    content = state().collections.image(service_id, image_id)
    response = Response(content, mimetype="application/octet-stream")
    if content:
        response.headers["Cache-Control"] = IMAGE_CACHE_CONTROL
    return response


@blueprint.get("/api/v1/recognition/faces/<image_id>/img")
def face_image(image_id: str):
    return _image_response(_service_id(), image_id)


@blueprint.get("/api/v1/static/<api_key>/images/<image_id>")
def static_face_image(api_key: str, image_id: str):
    return _image_response(state().keys.by_key(api_key, ServiceType.RECOGNITION).id, image_id)


@blueprint.post("/api/v1/recognition/faces/<image_id>/verify")
def verify_against_face(image_id: str):
    service_id = _service_id()
    image_params = params.image_params(request)
    result = state().verifier.verify_against_face(service_id, image_id, image(), image_params)
    return json_response(render.face_verification(result, image_params.face_plugins, image_params.status))

"""Faces (examples) of a recognition service's collection, their images, and verification against one."""

from __future__ import annotations

import math
import time

import numpy as np
from flask import Blueprint, Response, request

from api import errors, params
from api.app import json_response, platform
from api.collection_store import Collection
from api.face_json import core_plugins, face_object
from api.services.face_checks import QUALITY, check_quality, minimum_quality, require_plugin
from api.similarity import normalised, similarity_from_cosine
from api.views.common import (Stopwatch, calculator_version, find_faces, find_live_faces, image,
                              similarity_coefficients, with_status)
from db.models import ServiceType

blueprint = Blueprint("faces", __name__)
IMAGE_CACHE_CONTROL = "public, max-age=31536000"


def _service_id() -> int:
    return platform().keys.service(request, ServiceType.RECOGNITION).id


def _quality_gate(requested: float | None, service_minimum: float | None) -> float:
    """The minimum quality for this enrolment (0: none); code 26 if asked for without a quality model."""
    status = platform().core.status()
    minimum = minimum_quality(requested, service_minimum, status.quality_acceptable_at)
    if minimum > 0:
        require_plugin(QUALITY, status.available_plugins, dict(status.unavailable_plugins), "min_quality")
    return minimum


@blueprint.post("/api/v1/recognition/faces")
def add_face():
    service = platform().keys.service(request, ServiceType.RECOGNITION)
    service_id = service.id
    subject = params.raw(request, "subject")
    if subject is None or not subject.strip():
        raise errors.validation("Subject name is empty; ")
    image_params = params.image_params(request)
    minimum = _quality_gate(params.min_quality(request), service.settings.min_quality)
    image_bytes = image()
    response = find_faces(image_bytes, image_params, ["calculator", QUALITY] if minimum else ["calculator"], limit=2)
    if len(response.faces) > 1:
        raise errors.more_than_one_face()
    check_quality(response.faces[0], minimum)
    embedding = normalised(np.array(response.faces[0].embedding))
    stored_image = image_bytes if platform().settings.save_images_to_db else None
    stored = platform().store.add_face(service_id, subject, embedding, calculator_version(), stored_image)
    platform().indexes.faces_added(service_id, Collection(0, [stored.face_id], [stored.subject],
                                                          embedding[np.newaxis]))
    return json_response({"image_id": stored.face_id, "subject": stored.subject}, 201)


@blueprint.get("/api/v1/recognition/faces")
def list_faces():
    service_id = _service_id()
    page = params.integer(request, "page", 0)
    size = params.integer(request, "size", 20)
    if page < 0 or size < 1:
        raise errors.validation("page should be >= 0 and size >= 1; ")
    faces, total = platform().store.list_faces(service_id, params.raw(request, "subject"), page, size)
    return json_response({
        "faces": [{"image_id": face.face_id, "subject": face.subject} for face in faces],
        "page_number": page, "page_size": size,
        "total_pages": math.ceil(total / size), "total_elements": total,
    })


@blueprint.delete("/api/v1/recognition/faces")
def delete_faces_of_subject():
    service_id = _service_id()
    subject = params.raw(request, "subject")
    if subject is None or not subject.strip():
        deleted = platform().store.delete_all_faces(service_id)
        platform().indexes.cleared(service_id)
    else:
        deleted = platform().store.delete_subject_faces(service_id, subject)
        platform().indexes.subject_removed(service_id, subject)
    return json_response({"deleted": deleted})


@blueprint.delete("/api/v1/recognition/faces/<image_id>")
def delete_face(image_id: str):
    service_id = _service_id()
    deleted = platform().store.delete_face(service_id, image_id)
    platform().indexes.faces_removed(service_id, [deleted.face_id])
    return json_response({"image_id": deleted.face_id, "subject": deleted.subject})


@blueprint.post("/api/v1/recognition/faces/delete")
def delete_many_faces():
    service_id = _service_id()
    ids = request.get_json(silent=True)
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise errors.validation("The body should be a JSON array of image ids; ")
    deleted = platform().store.delete_faces(service_id, ids)
    platform().indexes.faces_removed(service_id, [face.face_id for face in deleted])
    return json_response([{"image_id": face.face_id, "subject": face.subject} for face in deleted])


def _image_response(service_id: int, image_id: str) -> Response:
    content = platform().store.image(service_id, image_id) or b""
    response = Response(content, mimetype="application/octet-stream")
    if content:
        response.headers["Cache-Control"] = IMAGE_CACHE_CONTROL
    return response


@blueprint.get("/api/v1/recognition/faces/<image_id>/img")
def face_image(image_id: str):
    return _image_response(_service_id(), image_id)


@blueprint.get("/api/v1/static/<api_key>/images/<image_id>")
def static_face_image(api_key: str, image_id: str):
    return _image_response(platform().keys.by_key(api_key, ServiceType.RECOGNITION).id, image_id)


@blueprint.post("/api/v1/recognition/faces/<image_id>/verify")
def verify_against_face(image_id: str):
    service_id = _service_id()
    image_params = params.image_params(request)
    require_liveness = params.boolean(request, "require_liveness", False)
    stored = platform().store.face(service_id, image_id)
    image_bytes = image()
    if stored is None:
        raise errors.image_id_incorrect()
    watch = Stopwatch()
    response = find_live_faces(image_bytes, image_params, core_plugins(image_params.face_plugins, True),
                               require_liveness)
    started = time.perf_counter()
    c0, c1 = similarity_coefficients()
    face, reference = stored
    result = []
    for found in response.faces:
        cosine = float(normalised(np.array(found.embedding)) @ normalised(reference))
        item = face_object(found, image_params.face_plugins, image_params.status, round_probability=True)
        item.update({"subject": face.subject, "similarity": similarity_from_cosine(cosine, c0, c1)})
        result.append(item)
    watch.lap("compare", started)
    return json_response(with_status({"result": result}, image_params.status, response, watch))

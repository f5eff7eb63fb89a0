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
from api.views.subjects import subject_name
from api.similarity import normalised, similarity_from_cosine
from api.views.common import (Stopwatch, calculator_version, find_faces, image, similarity_coefficients,
                              with_status)
from db.models import ServiceType

blueprint = Blueprint("faces", __name__)
IMAGE_CACHE_CONTROL = "public, max-age=31536000"


def _service_id() -> int:
    return platform().keys.service(request, ServiceType.RECOGNITION).id


@blueprint.post("/api/v1/recognition/faces")
def add_face():
    service_id = _service_id()
    subject = params.raw(request, "subject")
    if subject is None or not subject.strip():
        raise errors.validation("Subject name is empty; ")
    image_params = params.image_params(request)
    image_bytes = image()
    response = find_faces(image_bytes, image_params, ["calculator"], limit=2)
    if len(response.faces) > 1:
        raise errors.more_than_one_face()
    found = response.faces[0]
    embedding = normalised(np.array(found.embedding))
    stored_image = image_bytes if platform().settings.save_images_to_db else None
    box = {"x_min": found.box.x_min, "y_min": found.box.y_min, "x_max": found.box.x_max, "y_max": found.box.y_max}
    stored = platform().store.add_face(service_id, subject, embedding, calculator_version(), stored_image, box)
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
        # "box" is an addition to CompreFace's listing: where the face is in its stored image.
        "faces": [{"image_id": face.face_id, "subject": face.subject, "box": face.box} for face in faces],
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


@blueprint.put("/api/v1/recognition/faces/<image_id>")
def move_face(image_id: str):
    """An addition: give the face to another subject (made when there is none of that name)."""
    service_id = _service_id()
    moved = platform().store.move_face(service_id, image_id, subject_name(request.get_json(silent=True)))
    platform().indexes.reload(service_id)
    return json_response({"image_id": moved.face_id, "subject": moved.subject})


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
    stored = platform().store.face(service_id, image_id)
    image_bytes = image()
    if stored is None:
        raise errors.image_id_incorrect()
    watch = Stopwatch()
    response = find_faces(image_bytes, image_params, core_plugins(image_params.face_plugins, True))
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

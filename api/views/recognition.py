"""Recognition and detection of the faces in an image."""

from __future__ import annotations

import time

import numpy as np
from flask import Blueprint, request

from api import errors, params
from api.app import json_response, platform
from api.face_json import core_plugins, face_object
from api.services.recognition_settings import settle_threshold
from api.similarity import normalised, similarity_from_cosine
from api.views.common import (Stopwatch, find_faces, find_live_faces, image, impostor_tail, similarity_coefficients,
                              with_status)
from db.models import ServiceType

blueprint = Blueprint("recognition", __name__)


@blueprint.post("/api/v1/recognition/recognize")
def recognize():
    service = platform().keys.service(request, ServiceType.RECOGNITION)
    image_params = params.image_params(request)
    count = params.prediction_count(request)
    requested_threshold = params.similarity_threshold(request)
    detect = params.boolean(request, "detect_faces", True)
    require_liveness = params.boolean(request, "require_liveness", False)
    if require_liveness and not detect:
        raise errors.validation("require_liveness=true needs detect_faces=true: liveness looks around the face; ")
    threshold = settle_threshold(requested_threshold, service.settings, platform().indexes.size(service.id),
                                 impostor_tail, fallback=0.0)
    image_bytes = image()
    platform().counter.count(service.id)
    watch = Stopwatch()
    response = find_live_faces(image_bytes, image_params, core_plugins(image_params.face_plugins, True),
                               require_liveness, whole_image=not detect)
    started = time.perf_counter()
    embeddings = normalised(np.array([face.embedding for face in response.faces]))
    candidates = platform().indexes.search(service.id, embeddings, count)
    c0, c1 = similarity_coefficients()
    result = []
    for face, found in zip(response.faces, candidates):
        item = face_object(face, image_params.face_plugins, image_params.status, round_probability=True)
        subjects = [{"subject": subject, "similarity": similarity_from_cosine(cosine, c0, c1)}
                    for _, subject, cosine in found]
        item["subjects"] = [entry for entry in subjects if entry["similarity"] >= threshold]
        result.append(item)
    watch.lap("search", started)
    return json_response(with_status({"result": result}, image_params.status, response, watch))


@blueprint.post("/api/v1/detection/detect")
def detect():
    service = platform().keys.service(request, ServiceType.DETECTION)
    image_params = params.image_params(request)
    image_bytes = image()
    platform().counter.count(service.id)
    watch = Stopwatch()
    response = find_faces(image_bytes, image_params, image_params.face_plugins)
    result = [face_object(face, image_params.face_plugins, image_params.status, round_probability=False)
              for face in response.faces]
    return json_response(with_status({"result": result}, image_params.status, response, watch))

"""Additions beside CompreFace's recognition: verification against a person, and search for every
stored face that matches."""

from __future__ import annotations

import time

import numpy as np
from flask import Blueprint, request

from api import params
from api.app import json_response, platform
from api.face_json import core_plugins, face_object
from api.services.recognition_settings import settle_threshold
from api.services.search import DEFAULT_LIMIT, search_faces
from api.services.subject_verification import subject_reference, verify_against_subject
from api.views.common import Stopwatch, find_live_faces, image, impostor_tail, similarity_coefficients, with_status
from db.models import ServiceType

blueprint = Blueprint("search", __name__)
SEARCH_THRESHOLD = 0.5  # when neither the request nor the service gives one: "same person"


@blueprint.post("/api/v1/recognition/subjects/<subject>/verify")
def verify_against_subject_view(subject: str):
    service = platform().keys.service(request, ServiceType.RECOGNITION)
    image_params = params.image_params(request)
    require_liveness = params.boolean(request, "require_liveness", False)
    name, image_ids, references = subject_reference(platform().store, service.id, subject)
    image_bytes = image()
    platform().counter.count(service.id)
    watch = Stopwatch()
    response = find_live_faces(image_bytes, image_params, core_plugins(image_params.face_plugins, True),
                               require_liveness)
    started = time.perf_counter()
    verdicts = verify_against_subject(name, image_ids, references,
                                      np.array([face.embedding for face in response.faces]), similarity_coefficients())
    result = []
    for face, verdict in zip(response.faces, verdicts):
        item = face_object(face, image_params.face_plugins, image_params.status, round_probability=True)
        item.update({"subject": verdict.subject, "similarity": verdict.similarity,
                     "faces": [{"image_id": stored.image_id, "similarity": stored.similarity}
                               for stored in verdict.faces]})
        result.append(item)
    watch.lap("compare", started)
    return json_response(with_status({"result": result}, image_params.status, response, watch))


@blueprint.post("/api/v1/recognition/search")
def search():
    service = platform().keys.service(request, ServiceType.RECOGNITION)
    image_params = params.image_params(request)
    limit = image_params.limit if params.raw(request, "limit") not in (None, "") else DEFAULT_LIMIT
    threshold = settle_threshold(params.similarity_threshold(request), service.settings,
                                 platform().indexes.size(service.id), impostor_tail, fallback=SEARCH_THRESHOLD)
    require_liveness = params.boolean(request, "require_liveness", False)
    image_bytes = image()
    platform().counter.count(service.id)
    watch = Stopwatch()
    response = find_live_faces(image_bytes, image_params, core_plugins(image_params.face_plugins, True),
                               require_liveness, limit=0)
    started = time.perf_counter()
    embeddings = np.array([face.embedding for face in response.faces], dtype=np.float32)
    found = search_faces(platform().indexes, service.id, embeddings, threshold, limit, similarity_coefficients())
    result = []
    for face, matches in zip(response.faces, found):
        item = face_object(face, image_params.face_plugins, image_params.status, round_probability=True)
        item["matches"] = [{"image_id": match.image_id, "subject": match.subject, "similarity": match.similarity}
                           for match in matches]
        result.append(item)
    watch.lap("search", started)
    return json_response(with_status({"result": result}, image_params.status, response, watch))

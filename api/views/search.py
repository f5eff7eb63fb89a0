"""Additions beside CompreFace's recognition: verification against a person, and search for every
stored face that matches."""

from __future__ import annotations

from flask import Blueprint, request

from api import params
from api.services.search import DEFAULT_LIMIT, SEARCH_THRESHOLD
from api.views import render
from api.views.common import counted, image, service, state
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("search", __name__)


@blueprint.post("/api/v1/recognition/subjects/<subject>/verify")
@counted
def verify_against_subject_view(subject: str):
    service_id = service(ServiceType.RECOGNITION).id
    image_params = params.image_params(request)
    require_liveness = params.boolean(request, "require_liveness", False)
    result = state().verifier.verify_against_subject(service_id, subject, image(), image_params, require_liveness)
    return json_response(render.subject_verification(result, image_params.face_plugins, image_params.status))


@blueprint.post("/api/v1/recognition/search")
@counted
def search():
    found = service(ServiceType.RECOGNITION)
    image_params = params.image_params(request)
    limit = image_params.limit if params.raw(request, "limit") not in (None, "") else DEFAULT_LIMIT
    threshold = state().recognizer.threshold(found.id, params.similarity_threshold(request), found.settings,
                                             fallback=SEARCH_THRESHOLD)
    require_liveness = params.boolean(request, "require_liveness", False)
    result = state().searcher.search(found.id, image(), image_params, threshold, limit, require_liveness)
    return json_response(render.search(result, image_params.face_plugins, image_params.status))

"""Recognition and detection of the faces in an image."""

from __future__ import annotations

from flask import Blueprint, request

from api import params
from api.views import render
from api.views.common import counted, image, service, state
from common import errors
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("recognition", __name__)


@blueprint.post("/api/v1/recognition/recognize")
@counted
def recognize():
    found = service(ServiceType.RECOGNITION)
    image_params = params.image_params(request)
    count = params.prediction_count(request)
    requested_threshold = params.similarity_threshold(request)
    detect = params.boolean(request, "detect_faces", True)
    require_liveness = params.boolean(request, "require_liveness", False)
    if require_liveness and not detect:
        raise errors.validation("require_liveness=true needs detect_faces=true: liveness looks around the face; ")
    threshold = state().recognizer.threshold(found.id, requested_threshold, found.settings, fallback=0.0)
    result = state().recognizer.recognize(found.id, image(), image_params, count, threshold, detect,
                                          require_liveness)
    return json_response(render.recognition(result, image_params.face_plugins, image_params.status))


@blueprint.post("/api/v1/detection/detect")
@counted
def detect():
    service(ServiceType.DETECTION)
    image_params = params.image_params(request)
    result = state().detector.detect(image(), image_params)
    return json_response(render.detection(result, image_params.face_plugins, image_params.status))

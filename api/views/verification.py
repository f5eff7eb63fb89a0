"""Verification: is the face of one image the same person as the faces of another (or of several
others: one result per ``target_image``, in order)."""

from __future__ import annotations

from flask import Blueprint, request

from api import params
from api.image_input import request_images
from api.views import render
from api.views.common import counted, image, service, state
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("verification", __name__)
MAX_TARGETS = 16


@blueprint.post("/api/v1/verification/verify")
@counted
def verify():
    service(ServiceType.VERIFICATION)
    image_params = params.image_params(request)
    require_liveness = params.boolean(request, "require_liveness", False)
    source = image("source_image")
    targets = request_images(request, "target_image", state().fetcher, state().settings.max_file_size, MAX_TARGETS)
    results = state().verifier.verify_image_targets(source, targets, image_params, require_liveness)
    return json_response(render.image_verifications(results, image_params.face_plugins, image_params.status))

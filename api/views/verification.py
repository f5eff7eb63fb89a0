"""Verification: is the face of one image the same person as the faces of another."""

from __future__ import annotations

from flask import Blueprint, request

from api import params
from api.views import render
from api.views.common import counted, image, service, state
from common.web import json_response
from db.models import ServiceType

blueprint = Blueprint("verification", __name__)


@blueprint.post("/api/v1/verification/verify")
@counted
def verify():
    service(ServiceType.VERIFICATION)
    image_params = params.image_params(request)
    source, target = image("source_image"), image("target_image")
    result = state().verifier.verify_images(source, target, image_params)
    return json_response(render.image_verification(result, image_params.face_plugins, image_params.status))

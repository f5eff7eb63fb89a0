"""Endpoints without an API key: client configuration, health, readiness, status, Swagger UI."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from api.views.common import state
from common.errors import ApiError
from common.web import json_response, swagger_file, swagger_page

blueprint = Blueprint("infrastructure", __name__)
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "swagger"


@blueprint.get("/api/v1/config")
def config():
    settings = state().settings
    try:  # an addition: the default the web UI shows in its detection-threshold field
        threshold = round(state().core.status().default_det_prob_threshold, 4)
    except ApiError:  # the core is down: the limits are still worth answering
        threshold = None
    return json_response({"clientMaxFileSize": settings.max_file_size,
                          "clientMaxBodySize": settings.max_request_size, "detProbThreshold": threshold})


@blueprint.get("/health")
def health():
    return json_response({"status": "OK"})


@blueprint.get("/ready")
def ready():
    checks = state().ready()
    return json_response({"ready": all(checks.values()), **checks}, 200 if all(checks.values()) else 503)


@blueprint.get("/status")
def status():
    return json_response({"index": state().indexes.memory(), "auth_method": state().settings.auth_method})


@blueprint.get("/swagger/")
def swagger_ui():
    return swagger_page("Likeness REST API")


@blueprint.get("/swagger/<path:name>")
def swagger(name: str):
    return swagger_file(SWAGGER_DIR, name)

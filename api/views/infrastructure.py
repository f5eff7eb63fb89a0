"""Endpoints without an API key: client configuration, health, readiness, status, Swagger UI."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, send_from_directory
from werkzeug.exceptions import NotFound

from api.app import json_response, platform

blueprint = Blueprint("infrastructure", __name__)
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "swagger"
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"


@blueprint.get("/api/v1/config")
def config():
    settings = platform().settings
    return json_response({"clientMaxFileSize": settings.max_file_size,
                          "clientMaxBodySize": settings.max_request_size})


@blueprint.get("/health")
def health():
    return json_response({"status": "OK"})


@blueprint.get("/ready")
def ready():
    checks = platform().ready()
    return json_response({"ready": all(checks.values()), **checks}, 200 if all(checks.values()) else 503)


@blueprint.get("/status")
def status():
    return json_response({"index": platform().indexes.memory(), "auth_method": platform().settings.auth_method})


@blueprint.get("/swagger/")
@blueprint.get("/swagger/<path:name>")
def swagger(name: str = "index.html"):
    """Our page and document, then Swagger UI's own files from the installed package."""
    try:
        return send_from_directory(SWAGGER_DIR, name)
    except NotFound:
        return send_from_directory(SWAGGER_UI_DIST, name)

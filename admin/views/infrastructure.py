"""Health, readiness, the installation's status, and Swagger UI for the admin API.

The admin sits behind the gateway under /admin/, so these live there too: /admin/health,
/admin/ready, /admin/status, /admin/swagger/. The gateway answers its own /health from
/admin/health/platform.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from admin import health
from admin.web import context, public
from db.engine import database_reachable
from common.web import swagger_file, swagger_page

blueprint = Blueprint("infrastructure", __name__)
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "swagger"


@blueprint.get("/health")
@public
def liveness():
    return {"status": "OK"}


@blueprint.get("/ready")
@public
def readiness():
    ready = database_reachable(context().sessions)
    return {"ready": ready, "database": ready}, 200 if ready else 503


@blueprint.get("/health/platform")
@public
def platform_health():
    """The whole platform's health for anyone (the gateway's /health): each part's state, no addresses."""
    settings = context().settings
    report = health.status(context().sessions, settings.api_url_list(), settings.python_url,
                           settings.status_timeout_s)
    apis = report["api"]
    summary = {**report, "api": {"servers": len(apis), "ok": sum(api["status"] == health.OK for api in apis)}}
    return summary, 200 if report["status"] == health.OK else 503


@blueprint.get("/status")
def status():
    """Every part of the installation (signed-in users only: it names internal addresses)."""
    settings = context().settings
    return health.status(context().sessions, settings.api_url_list(), settings.python_url, settings.status_timeout_s)


@blueprint.get("/swagger/")
@public
def swagger_ui():
    return swagger_page("Likeness admin API")


@blueprint.get("/swagger/<path:name>")
@public
def swagger(name: str):
    return swagger_file(SWAGGER_DIR, name)

"""Applications."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from admin import applications
from admin.permissions import Action
from admin.views import render
from admin.web import actor, body, transaction

blueprint = Blueprint("apps", __name__)


@blueprint.get("/apps")
def list_apps():
    with transaction() as db:
        return [render.app(access) for access in applications.list_apps(db, actor())]


@blueprint.post("/apps")
def create_app():
    name = body().get("name")
    with transaction() as db:
        return render.app(applications.create_app(db, actor(), name)), 201


@blueprint.get("/apps/<uuid:app_guid>")
def get_app(app_guid: uuid.UUID):
    with transaction() as db:
        return render.app(applications.authorize(db, actor(), app_guid, Action.VIEW_APP))


@blueprint.put("/apps/<uuid:app_guid>")
def rename_app(app_guid: uuid.UUID):
    name = body().get("name")
    with transaction() as db:
        return render.app(applications.rename_app(db, actor(), app_guid, name))


@blueprint.delete("/apps/<uuid:app_guid>")
def delete_app(app_guid: uuid.UUID):
    with transaction() as db:
        applications.delete_app(db, actor(), app_guid)
    return Response(status=204)

"""Members of an application."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response

from admin import members
from admin.permissions import parse_role
from admin.views import render
from admin.web import actor, body, transaction
from db.models import AppRole

blueprint = Blueprint("members", __name__)


@blueprint.get("/apps/<uuid:app_guid>/members")
def list_members(app_guid: uuid.UUID):
    with transaction() as db:
        return [render.member(member) for member in members.list_members(db, actor(), app_guid)]


@blueprint.post("/apps/<uuid:app_guid>/members")
def add_member(app_guid: uuid.UUID):
    fields = body()
    role = parse_role(AppRole, fields.get("role"))
    with transaction() as db:
        return render.member(members.add_member(db, actor(), app_guid, fields.get("email"), role)), 201


@blueprint.put("/apps/<uuid:app_guid>/members/<uuid:user_guid>")
def change_role(app_guid: uuid.UUID, user_guid: uuid.UUID):
    role = parse_role(AppRole, body().get("role"))
    with transaction() as db:
        return render.member(members.change_role(db, actor(), app_guid, user_guid, role))


@blueprint.delete("/apps/<uuid:app_guid>/members/<uuid:user_guid>")
def remove_member(app_guid: uuid.UUID, user_guid: uuid.UUID):
    with transaction() as db:
        members.remove_member(db, actor(), app_guid, user_guid)
    return Response(status=204)

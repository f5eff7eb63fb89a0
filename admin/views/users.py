"""Users of the installation and their global roles (global OWNER and ADMINISTRATOR)."""

from __future__ import annotations

import uuid

from flask import Blueprint

from admin import accounts
from admin.permissions import parse_role
from admin.views import render
from admin.web import actor, body, transaction
from db.models import GlobalRole

blueprint = Blueprint("users", __name__)


@blueprint.get("/users")
def list_users():
    with transaction() as db:
        return [render.user(user) for user in accounts.list_users(db, actor())]


@blueprint.put("/users/<uuid:user_guid>/role")
def change_role(user_guid: uuid.UUID):
    role = parse_role(GlobalRole, body().get("role"))
    with transaction() as db:
        return render.user(accounts.change_global_role(db, actor(), user_guid, role))

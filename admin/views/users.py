"""Users of the installation: their global roles (global OWNER and ADMINISTRATOR), accounts made
for someone with a one-time set-password link, disabled accounts, and the sign-up setting."""

from __future__ import annotations

import uuid

from flask import Blueprint

from admin import accounts, installation, password_links, user_management
from admin.permissions import parse_role
from admin.views import render
from admin.web import actor, body, context, public, transaction
from db.models import GlobalRole

blueprint = Blueprint("users", __name__)


@blueprint.get("/users")
def list_users():
    with transaction() as db:
        return [render.account(user) for user in accounts.list_users(db, actor())]


@blueprint.post("/users")
def create_user():
    fields = body()
    role = parse_role(GlobalRole, fields.get("globalRole") or "USER")
    with transaction() as db:
        user, link = user_management.create_account(db, actor(), fields.get("email"), fields.get("firstName"),
                                                    fields.get("lastName"), role, context().password_link_lifetime)
        return {"user": render.account(user), "setPasswordLink": render.password_link(link)}, 201


@blueprint.put("/users/<uuid:user_guid>/role")
def change_role(user_guid: uuid.UUID):
    role = parse_role(GlobalRole, body().get("role"))
    with transaction() as db:
        return render.user(accounts.change_global_role(db, actor(), user_guid, role))


@blueprint.put("/users/<uuid:user_guid>/enabled")
def set_enabled(user_guid: uuid.UUID):
    enabled = body().get("enabled")
    with transaction() as db:
        return render.account(user_management.set_enabled(db, actor(), user_guid, enabled))


@blueprint.post("/users/<uuid:user_guid>/password-link")
def new_password_link(user_guid: uuid.UUID):
    with transaction() as db:
        user, link = user_management.new_password_link(db, actor(), user_guid, context().password_link_lifetime)
        return {"user": render.account(user), "setPasswordLink": render.password_link(link)}, 201


@blueprint.post("/set-password")
@public
def set_password():
    """Follow a one-time link: choose a password (then sign in with it)."""
    fields = body()
    with transaction() as db:
        return render.user(password_links.redeem(db, fields.get("token"), fields.get("password")))


@blueprint.get("/installation")
@public
def get_installation():
    """Whether sign-up is open (the sign-in page asks, to offer it or not)."""
    with transaction() as db:
        return render.installation(installation.settings(db))


@blueprint.put("/installation")
def change_installation():
    fields = body()
    with transaction() as db:
        return render.installation(installation.set_sign_up_open(db, actor(), fields.get("signUpOpen")))

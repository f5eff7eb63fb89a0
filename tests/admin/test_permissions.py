"""The permission matrix of CompreFace's roles (reference/compreface.md, section 2.2) over the admin API:
every global role x every application role (or none) x every action.

The expectations are written out here, independently of admin/permissions.py: a global OWNER or
ADMINISTRATOR acts as an application OWNER everywhere; application OWNERs do everything in their
application; ADMINISTRATORs manage services; USERs read (API keys included). Whoever may not see
an application gets 404 (code 2); whoever may see it but not act gets 403 (code 9).
"""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask

from admin import applications, members, services
from admin.permissions import CONSOLE
from db.models import AppRole, ServiceType
from tests.admin.client import FlaskClient

GLOBAL_ROLES = ["OWNER", "ADMINISTRATOR", "USER"]
APP_ROLES = ["OWNER", "ADMINISTRATOR", "USER", None]
EVERY_ROLE = {"OWNER", "ADMINISTRATOR", "USER"}

SERVICE = "/apps/{app}/services/{service}"
# action: (method, path, body, status on success, application roles allowed)
APP_ACTIONS = {
    "get app": ("GET", "/apps/{app}", None, 200, EVERY_ROLE),
    "rename app": ("PUT", "/apps/{app}", {"name": "renamed-{unique}"}, 200, {"OWNER"}),
    "delete app": ("DELETE", "/apps/{app}", None, 204, {"OWNER"}),
    "list members": ("GET", "/apps/{app}/members", None, 200, EVERY_ROLE),
    "invite member": ("POST", "/apps/{app}/members", {"email": "invitee@example.org", "role": "USER"}, 201,
                      {"OWNER"}),
    "change member role": ("PUT", "/apps/{app}/members/{member}", {"role": "ADMINISTRATOR"}, 200, {"OWNER"}),
    "remove member": ("DELETE", "/apps/{app}/members/{member}", None, 204, {"OWNER"}),
    "list services": ("GET", "/apps/{app}/services", None, 200, EVERY_ROLE),
    "create service": ("POST", "/apps/{app}/services", {"name": "new", "type": "DETECTION"}, 201,
                       {"OWNER", "ADMINISTRATOR"}),
    "get service": ("GET", SERVICE, None, 200, EVERY_ROLE),
    "rename service": ("PUT", SERVICE, {"name": "renamed"}, 200, {"OWNER", "ADMINISTRATOR"}),
    "delete service": ("DELETE", SERVICE, None, 204, {"OWNER", "ADMINISTRATOR"}),
    "clone service": ("POST", SERVICE + "/clone", {"name": "copy"}, 201, {"OWNER", "ADMINISTRATOR"}),
    "read API key": ("GET", SERVICE + "/key", None, 200, EVERY_ROLE),
    "regenerate API key": ("POST", SERVICE + "/key", None, 200, {"OWNER", "ADMINISTRATOR"}),
    "statistics": ("GET", SERVICE + "/stats", None, 200, EVERY_ROLE),
}
# action: (method, path, body, status on success, global roles allowed)
GLOBAL_ACTIONS = {
    "create app": ("POST", "/apps", {"name": "created-{unique}"}, 201, {"OWNER", "ADMINISTRATOR"}),
    "list users": ("GET", "/users", None, 200, {"OWNER", "ADMINISTRATOR"}),
    "change global role": ("PUT", "/users/{target}/role", {"role": "USER"}, 200, {"OWNER", "ADMINISTRATOR"}),
}
PUBLIC_ENDPOINTS = {"accounts.get_csrf", "accounts.get_session", "accounts.sign_up", "accounts.sign_in", "accounts.sign_out",
                    "users.set_password", "users.get_installation",
                    "infrastructure.liveness", "infrastructure.readiness", "infrastructure.swagger_ui",
                    "infrastructure.swagger", "infrastructure.platform_health", "metrics"}


@pytest.fixture(scope="module")
def people(app: Flask) -> dict[str, object]:
    """A signed-in browser per global role, and the users the actions act on."""
    owner = FlaskClient(app)
    owner.sign_up("owner@example.org")
    for email in ("administrator@example.org", "user@example.org", "app-owner@example.org",
                  "member@example.org", "invitee@example.org", "target@example.org"):
        FlaskClient(app).sign_up(email)
    owner.sign_in("owner@example.org")
    users = {user["email"]: user["userId"] for user in owner.get("/users").ok()}
    owner.put(f"/users/{users['administrator@example.org']}/role", {"role": "ADMINISTRATOR"}).ok()
    browsers = {"OWNER": owner}
    for role, email in (("ADMINISTRATOR", "administrator@example.org"), ("USER", "user@example.org")):
        browsers[role] = FlaskClient(app)
        browsers[role].sign_in(email)
    return {"browsers": browsers, "users": users}


def _application(sessions, actor_email: str, app_role: str | None) -> dict[str, str]:
    """A new application where the actor has ``app_role``, with an owner, a member and a service."""
    with sessions.begin() as db:
        guid = applications.create_app(db, CONSOLE, f"matrix-{uuid.uuid4().hex[:12]}").app.guid
        if app_role != "OWNER":
            members.add_member(db, CONSOLE, guid, "app-owner@example.org", AppRole.OWNER)
        if app_role is not None:
            members.add_member(db, CONSOLE, guid, actor_email, AppRole[app_role])
        members.add_member(db, CONSOLE, guid, "member@example.org", AppRole.USER)
        service = services.create_service(db, CONSOLE, guid, "service", ServiceType.RECOGNITION)
        return {"app": str(guid), "service": str(service.guid)}


def _fill(template: object, values: dict[str, str]) -> object:
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    return template


ACTOR_EMAILS = {"OWNER": "owner@example.org", "ADMINISTRATOR": "administrator@example.org",
                "USER": "user@example.org"}


def _effective(global_role: str, app_role: str | None) -> str | None:
    return "OWNER" if global_role in ("OWNER", "ADMINISTRATOR") else app_role


@pytest.mark.parametrize("action", APP_ACTIONS)
@pytest.mark.parametrize("app_role", APP_ROLES, ids=lambda role: f"app-{role}")
@pytest.mark.parametrize("global_role", GLOBAL_ROLES, ids=lambda role: f"global-{role}")
def test_application_actions(sessions, people, global_role: str, app_role: str | None, action: str) -> None:
    method, path, body, success, allowed = APP_ACTIONS[action]
    ids = _application(sessions, ACTOR_EMAILS[global_role], app_role)
    values = {**ids, "member": people["users"]["member@example.org"], "unique": uuid.uuid4().hex[:8]}
    answer = people["browsers"][global_role].call(method, _fill(path, values), _fill(body, values))
    effective = _effective(global_role, app_role)
    if effective in allowed:
        answer.ok(success)
    elif effective is None:
        answer.error(404, 2)
    else:
        answer.error(403, 9)


@pytest.mark.parametrize("app_role", APP_ROLES, ids=lambda role: f"app-{role}")
@pytest.mark.parametrize("global_role", GLOBAL_ROLES, ids=lambda role: f"global-{role}")
def test_application_list_shows_what_may_be_seen_with_the_role(sessions, people, global_role: str,
                                                                app_role: str | None) -> None:
    ids = _application(sessions, ACTOR_EMAILS[global_role], app_role)
    listed = {app["id"]: app for app in people["browsers"][global_role].get("/apps").ok()}
    effective = _effective(global_role, app_role)
    if effective is None:
        assert ids["app"] not in listed
    else:
        assert listed[ids["app"]]["role"] == effective
        expected_owner = ACTOR_EMAILS[global_role] if app_role == "OWNER" else "app-owner@example.org"
        assert listed[ids["app"]]["owner"]["email"] == expected_owner


@pytest.mark.parametrize("action", GLOBAL_ACTIONS)
@pytest.mark.parametrize("global_role", GLOBAL_ROLES, ids=lambda role: f"global-{role}")
def test_installation_actions(people, global_role: str, action: str) -> None:
    method, path, body, success, allowed = GLOBAL_ACTIONS[action]
    values = {"target": people["users"]["target@example.org"], "unique": uuid.uuid4().hex[:8]}
    answer = people["browsers"][global_role].call(method, _fill(path, values), _fill(body, values))
    if global_role in allowed:
        answer.ok(success)
    else:
        answer.error(403, 9)


def test_every_other_route_needs_a_session(app: Flask) -> None:
    anonymous = FlaskClient(app)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "static":
            continue
        path = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), rule.rule).removeprefix("/admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            anonymous.call(method, path, {}).error(401, 50)

"""Every management endpoint over Flask's test client: applications, members, services, keys,
statistics, users and global roles, and what the api servers are told."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import select as sql_select

from db.models import RequestCount, Service
from tests.admin.client import FlaskClient
from tests.support.notifications import NotificationListener




@pytest.fixture(scope="module")
def users(app: Flask, owner: FlaskClient) -> dict[str, str]:
    """Registered users by e-mail address -> userId."""
    for email in ("ann@example.org", "bob@example.org", "cid@example.org"):
        FlaskClient(app).sign_up(email, firstName=email[:3].title())
    return {user["email"]: user["userId"] for user in owner.get("/users").ok()}


def _browser(app: Flask, email: str) -> FlaskClient:
    browser = FlaskClient(app)
    browser.sign_in(email)
    return browser


def _new_app(owner: FlaskClient, name: str | None = None) -> str:
    return owner.post("/apps", {"name": name or f"app-{uuid.uuid4().hex[:8]}"}).ok(201)["id"]


def _new_service(owner: FlaskClient, app_id: str, name: str = "faces", kind: str = "RECOGNITION") -> dict:
    return owner.post(f"/apps/{app_id}/services", {"name": name, "type": kind}).ok(201)


@pytest.fixture
def announcements(database_url: str) -> Iterator[NotificationListener]:
    listener = NotificationListener(database_url)
    yield listener
    listener.close()


# Applications

def test_application_lifecycle(owner: FlaskClient) -> None:
    created = owner.post("/apps", {"name": " Shop "}).ok(201)
    assert (created["name"], created["role"], created["owner"]["email"]) == ("Shop", "OWNER", "owner@example.org")
    assert owner.get(f"/apps/{created['id']}").ok() == created
    owner.post("/apps", {"name": "Shop"}).error(400, 17)
    assert owner.put(f"/apps/{created['id']}", {"name": "Shop"}).ok()["name"] == "Shop"
    other = _new_app(owner, "Other shop")
    owner.put(f"/apps/{other}", {"name": "Shop"}).error(400, 17)
    assert owner.put(f"/apps/{created['id']}", {"name": "Store"}).ok()["name"] == "Store"
    assert [app["name"] for app in owner.get("/apps").ok()][:2] == ["Other shop", "Store"]
    assert owner.delete(f"/apps/{created['id']}").status == 204
    owner.get(f"/apps/{created['id']}").error(404, 2)
    owner.delete(f"/apps/{uuid.uuid4()}").error(404, 2)
    assert owner.get("/apps/not-a-guid").status == 404


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "a/b", "a;b", "a\\b", 7, None])
def test_application_names_are_checked(owner: FlaskClient, name: object) -> None:
    owner.post("/apps", {"name": name}).error(400, 26)


# Members

def test_members_invite_change_and_remove(app: Flask, owner: FlaskClient, users: dict[str, str]) -> None:
    app_id = _new_app(owner)
    members = f"/apps/{app_id}/members"
    added = owner.post(members, {"email": "ANN@example.org", "role": "administrator"}).ok(201)
    assert (added["email"], added["role"], added["firstName"]) == ("ann@example.org", "ADMINISTRATOR", "Ann")
    owner.post(members, {"email": "ann@example.org", "role": "USER"}).error(400, 19)
    owner.post(members, {"email": "nobody@example.org", "role": "USER"}).error(404, 16)
    owner.post(members, {"email": "bob@example.org", "role": "BOSS"}).error(400, 26)
    owner.post(members, {"email": "bob@example.org", "role": "USER"}).ok(201)
    assert owner.put(f"{members}/{users['bob@example.org']}", {"role": "ADMINISTRATOR"}).ok()["role"] == "ADMINISTRATOR"
    owner.put(f"{members}/{users['owner@example.org']}", {"role": "USER"}).error(400, 14)
    owner.put(f"{members}/{users['cid@example.org']}", {"role": "USER"}).error(404, 16)
    owner.delete(f"{members}/{users['owner@example.org']}").error(403, 9)
    assert owner.delete(f"{members}/{users['bob@example.org']}").status == 204
    listed = owner.get(members).ok()
    assert [(member["email"], member["role"]) for member in listed] == [
        ("ann@example.org", "ADMINISTRATOR"), ("owner@example.org", "OWNER")]
    # A member (not a global admin) sees the application and its members with their own role.
    assert _browser(app, "ann@example.org").get(members).ok() == listed


def test_making_someone_owner_hands_the_application_over(app: Flask, owner: FlaskClient,
                                                         users: dict[str, str]) -> None:
    app_id = _new_app(owner)
    members = f"/apps/{app_id}/members"
    owner.post(members, {"email": "ann@example.org", "role": "USER"}).ok(201)
    assert owner.put(f"{members}/{users['ann@example.org']}", {"role": "OWNER"}).ok()["role"] == "OWNER"
    roles = {member["email"]: member["role"] for member in owner.get(members).ok()}
    assert roles == {"ann@example.org": "OWNER", "owner@example.org": "ADMINISTRATOR"}
    ann = _browser(app, "ann@example.org")
    ann.put(f"{members}/{users['ann@example.org']}", {"role": "USER"}).error(400, 14)
    # Inviting as OWNER hands it over again.
    ann.post(members, {"email": "bob@example.org", "role": "OWNER"}).ok(201)
    roles = {member["email"]: member["role"] for member in ann.get(members).ok()}
    assert roles == {"ann@example.org": "ADMINISTRATOR", "bob@example.org": "OWNER",
                     "owner@example.org": "ADMINISTRATOR"}
    assert owner.get(f"/apps/{app_id}").ok()["owner"]["email"] == "bob@example.org"
    ann.put(f"{members}/{users['bob@example.org']}", {"role": "USER"}).error(403, 9)


# Services

def test_service_lifecycle(owner: FlaskClient) -> None:
    app_id = _new_app(owner)
    services = f"/apps/{app_id}/services"
    recognition = _new_service(owner, app_id, "Faces")
    assert (recognition["type"], uuid.UUID(recognition["apiKey"]).version) == ("RECOGNITION", 4)
    assert _new_service(owner, app_id, "check", "verify")["type"] == "VERIFICATION"
    owner.post(services, {"name": "FACES", "type": "DETECTION"}).error(400, 17)
    owner.post(services, {"name": "boxes", "type": "SEGMENTATION"}).error(400, 26)
    owner.post(services, {"name": "a/b", "type": "DETECTION"}).error(400, 26)
    _new_service(owner, _new_app(owner), "Faces")  # names are unique per application only
    assert [service["name"] for service in owner.get(services).ok()] == ["check", "Faces"]
    one = f"{services}/{recognition['id']}"
    assert owner.get(one).ok() == {**recognition, "subjectCount": 0, "faceCount": 0, "imageCount": 0}
    assert owner.put(one, {"name": "faces"}).ok()["name"] == "faces"
    owner.put(one, {"name": "Check"}).error(400, 17)
    assert owner.get(f"{one}/key").ok() == {"apiKey": recognition["apiKey"]}
    new_key = owner.post(f"{one}/key").ok()["apiKey"]
    assert new_key != recognition["apiKey"] and owner.get(f"{one}/key").ok() == {"apiKey": new_key}
    owner.get(f"/apps/{_new_app(owner)}/services/{recognition['id']}").error(404, 3)
    assert owner.delete(one).status == 204
    owner.get(one).error(404, 3)


def test_statistics_sum_hours_by_day(owner: FlaskClient, sessions) -> None:
    app_id = _new_app(owner)
    service = _new_service(owner, app_id)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    with sessions.begin() as db:
        service_id = db.scalar(sql_select(Service.id).where(Service.guid == uuid.UUID(service["id"])))
        db.add_all([RequestCount(service_id=service_id, hour=today + timedelta(hours=1), count=3),
                    RequestCount(service_id=service_id, hour=today, count=2),
                    RequestCount(service_id=service_id, hour=today - timedelta(days=2, hours=-5), count=7),
                    RequestCount(service_id=service_id, hour=today - timedelta(days=40), count=100)])
    stats = owner.get(f"/apps/{app_id}/services/{service['id']}/stats").ok()
    assert stats["requests"] == [{"createdDate": today.date().isoformat(), "requestCount": 5},
                                 {"createdDate": (today - timedelta(days=2)).date().isoformat(), "requestCount": 7}]
    assert (stats["subjectCount"], stats["faceCount"], stats["imageCount"]) == (0, 0, 0)
    long_ago = owner.get(f"/apps/{app_id}/services/{service['id']}/stats?days=60").ok()["requests"]
    assert [day["requestCount"] for day in long_ago] == [5, 7, 100]
    for days in ("0", "367", "ten", "-1"):
        owner.get(f"/apps/{app_id}/services/{service['id']}/stats?days={days}").error(400, 26)


def test_api_servers_are_told_about_deletions_clones_and_new_keys(owner: FlaskClient, sessions,
                                                                 announcements: NotificationListener) -> None:
    app_id = _new_app(owner)
    first, second = _new_service(owner, app_id, "first"), _new_service(owner, app_id, "second")
    with sessions() as db:
        ids = {service.guid: service.id for service in db.scalars(sql_select(Service).where(Service.app_id.in_(
            sql_select(Service.app_id).where(Service.guid == uuid.UUID(first["id"])))))}
    first_id, second_id = ids[uuid.UUID(first["id"])], ids[uuid.UUID(second["id"])]
    owner.post(f"/apps/{app_id}/services/{first['id']}/key").ok()
    clone = owner.post(f"/apps/{app_id}/services/{first['id']}/clone", {"name": "third"}).ok(201)
    owner.delete(f"/apps/{app_id}/services/{second['id']}")
    owner.delete(f"/apps/{app_id}")
    with sessions() as db:
        assert db.scalar(sql_select(Service).where(Service.guid == uuid.UUID(clone["id"]))) is None
    changes = [(change["kind"], change["service_id"], change["version"]) for change in map(json.loads, announcements.drain())]
    clone_id = next(service_id for kind, service_id, _ in changes if kind == "reload")
    assert changes == [("key_regenerated", first_id, 1), ("reload", clone_id, 1),
                       ("service_deleted", second_id, 0), ("service_deleted", first_id, 1),
                       ("service_deleted", clone_id, 1)]


# Users and global roles

def test_users_and_global_roles(app: Flask, owner: FlaskClient, users: dict[str, str]) -> None:
    listed = owner.get("/users").ok()
    assert [user["email"] for user in listed] == sorted(user["email"] for user in listed)
    assert set(listed[0]) == {"userId", "email", "firstName", "lastName", "globalRole", "enabled", "createdDate"}
    owner.put(f"/users/{users['owner@example.org']}/role", {"role": "USER"}).error(400, 14)
    owner.put(f"/users/{uuid.uuid4()}/role", {"role": "USER"}).error(404, 16)
    owner.put(f"/users/{users['ann@example.org']}/role", {"role": "KING"}).error(400, 26)
    owner.put(f"/users/{users['ann@example.org']}/role", {"role": "ADMINISTRATOR"}).ok()
    ann = _browser(app, "ann@example.org")
    ann.put(f"/users/{users['owner@example.org']}/role", {"role": "USER"}).error(403, 9)
    ann.put(f"/users/{users['bob@example.org']}/role", {"role": "OWNER"}).error(403, 9)
    assert ann.put(f"/users/{users['bob@example.org']}/role", {"role": "ADMINISTRATOR"}).ok()["globalRole"] == \
        "ADMINISTRATOR"
    # The owner who makes someone else owner becomes an administrator.
    assert owner.put(f"/users/{users['cid@example.org']}/role", {"role": "OWNER"}).ok()["globalRole"] == "OWNER"
    roles = {user["email"]: user["globalRole"] for user in owner.get("/users").ok()}
    assert roles == {"ann@example.org": "ADMINISTRATOR", "bob@example.org": "ADMINISTRATOR",
                     "cid@example.org": "OWNER", "owner@example.org": "ADMINISTRATOR"}

"""Accounts over Flask's test client: sign-up, sign-in, profile, password, sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import select, update

from admin.app import create_app
from admin.web import SESSION_COOKIE
from db.models import AdminSession, User
from tests.admin.conftest import admin_settings
from tests.admin.client import PASSWORD, FlaskClient


@pytest.fixture(scope="module")
def owner(app: Flask) -> FlaskClient:
    """The first user to sign up: the global OWNER."""
    browser = FlaskClient(app)
    assert browser.sign_up("Owner@Example.org", firstName="Olga", lastName="Owner")["globalRole"] == "OWNER"
    browser.sign_in("owner@example.org")
    return browser


def _signed_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    browser = FlaskClient(app)
    browser.sign_in(email, password)
    return browser


def test_first_user_is_owner_later_users_are_users(app: Flask, owner: FlaskClient) -> None:
    later = FlaskClient(app).sign_up("second@example.org", firstName="Sam")
    assert later["globalRole"] == "USER" and later["email"] == "second@example.org"
    me = owner.get("/me").ok()
    assert me == {"userId": me["userId"], "email": "owner@example.org", "firstName": "Olga", "lastName": "Owner",
                  "globalRole": "OWNER"}


@pytest.mark.parametrize("fields, status, code", [
    ({"email": "not-an-address", "password": PASSWORD}, 400, 22),
    ({"email": "short@example.org", "password": "7 chars"}, 400, 26),
    ({"email": "long@example.org", "password": "x" * 256}, 400, 26),
    ({"email": "OWNER@example.org", "password": PASSWORD}, 400, 4),
    ({"email": "name@example.org", "password": PASSWORD, "firstName": "x" * 64}, 400, 26),
])
def test_sign_up_validation(app: Flask, owner: FlaskClient, fields: dict, status: int, code: int) -> None:
    FlaskClient(app).post("/sign-up", fields).error(status, code)


def test_bodies_must_be_json_objects(app: Flask) -> None:
    browser = FlaskClient(app)
    browser.post("/sign-in", ["a", "b"]).error(400, 26)


def test_wrong_password_and_unknown_email_get_the_same_answer(app: Flask, owner: FlaskClient) -> None:
    wrong = FlaskClient(app).post("/sign-in", {"email": "owner@example.org", "password": "wrong password"})
    unknown = FlaskClient(app).post("/sign-in", {"email": "nobody@example.org", "password": "wrong password"})
    assert wrong.error(401, 51) == unknown.error(401, 51)
    assert wrong.set_cookies == unknown.set_cookies == []


def test_signed_out_calls_need_a_session(app: Flask) -> None:
    FlaskClient(app).get("/me").error(401, 50)


def test_session_tells_who_is_signed_in_without_an_error(app: Flask, owner: FlaskClient) -> None:
    browser = FlaskClient(app)
    assert browser.get("/session").ok() == {"user": None}
    assert owner.get("/session").ok() == {"user": owner.get("/me").ok()}
    owner_email = owner.get("/me").ok()["email"]
    browser.sign_in(owner_email)
    browser.post("/sign-out")
    assert browser.get("/session").ok() == {"user": None}


def test_update_name(app: Flask, owner: FlaskClient) -> None:
    changed = owner.put("/me", {"firstName": " Olga ", "lastName": "Smith"}).ok()
    assert (changed["firstName"], changed["lastName"]) == ("Olga", "Smith")
    assert owner.get("/me").ok()["lastName"] == "Smith"


def test_change_password_ends_the_other_sessions(app: Flask) -> None:
    FlaskClient(app).sign_up("changer@example.org")
    here, elsewhere = _signed_in(app, "changer@example.org"), _signed_in(app, "changer@example.org")
    here.put("/me/password", {"oldPassword": "wrong password", "newPassword": "new password!"}).error(400, 18)
    here.put("/me/password", {"oldPassword": PASSWORD, "newPassword": "short"}).error(400, 26)
    assert here.put("/me/password", {"oldPassword": PASSWORD, "newPassword": "new password!"}).status == 204
    assert here.get("/me").status == 200
    elsewhere.get("/me").error(401, 50)
    FlaskClient(app).post("/sign-in", {"email": "changer@example.org", "password": PASSWORD}).error(401, 51)
    _signed_in(app, "changer@example.org", "new password!")


def test_sign_out_and_revoke_all_sessions(app: Flask) -> None:
    FlaskClient(app).sign_up("leaver@example.org")
    first, second, third = (_signed_in(app, "leaver@example.org") for _ in range(3))
    answer = first.post("/sign-out")
    assert answer.status == 204
    assert any(cookie.startswith("likeness_session=;") for cookie in answer.set_cookies)
    first.get("/me").error(401, 50)
    assert second.get("/me").status == 200
    assert second.delete("/me/sessions").ok() == {"revoked": 2}
    second.get("/me").error(401, 50)
    third.get("/me").error(401, 50)


def test_an_expired_session_no_longer_signs_in(app: Flask, sessions) -> None:
    FlaskClient(app).sign_up("expiring@example.org")
    browser = _signed_in(app, "expiring@example.org")
    assert browser.get("/me").status == 200
    with sessions.begin() as db:
        user_id = db.scalar(select(User.id).where(User.email == "expiring@example.org"))
        db.execute(update(AdminSession).where(AdminSession.user_id == user_id)
                   .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    browser.get("/me").error(401, 50)


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app: Flask, sessions) -> None:
    FlaskClient(app).sign_up("disabled@example.org")
    browser = _signed_in(app, "disabled@example.org")
    with sessions.begin() as db:
        db.execute(update(User).where(User.email == "disabled@example.org").values(enabled=False))
    browser.get("/me").error(401, 50)
    FlaskClient(app).post("/sign-in", {"email": "disabled@example.org", "password": PASSWORD}).error(401, 51)


def test_sessions_and_passwords_are_stored_hashed(app: Flask, sessions) -> None:
    browser = FlaskClient(app)
    browser.sign_up("hashed@example.org", password="a very secret phrase")
    browser.sign_in("hashed@example.org", "a very secret phrase")
    token = browser.client.get_cookie("likeness_session", path="/admin").value
    with sessions() as db:
        user = db.scalar(select(User).where(User.email == "hashed@example.org"))
        stored = [row.token_hash for row in db.scalars(select(AdminSession).where(AdminSession.user_id == user.id))]
    assert user.password_hash.startswith("$argon2id$") and "a very secret phrase" not in user.password_hash
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_a_database_outage_is_a_clear_503_not_a_crash() -> None:
    unreachable = create_app(admin_settings("postgresql://likeness@127.0.0.1:1/likeness"))
    client = unreachable.test_client()
    client.set_cookie(SESSION_COOKIE, "a-session-token", path="/admin")
    answer = client.get("/admin/me")
    assert answer.status_code == 503
    assert answer.json == {"message": "The database is unavailable; try again shortly", "code": 0}

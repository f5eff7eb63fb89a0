"""The owner's users page over the admin API: accounts made for someone with a one-time
set-password link, disabled accounts, new links, and closing sign-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import select, update

from db.models import PasswordLink
from tests.admin.client import PASSWORD, FlaskClient


def _create(owner: FlaskClient, email: str, **fields: str) -> dict:
    return owner.post("/users", {"email": email, **fields}).ok(201)


def test_a_new_account_gets_a_link_that_works_once(app: Flask, owner: FlaskClient, sessions) -> None:
    answer = _create(owner, "New.Person@example.org", firstName="Nia", globalRole="ADMINISTRATOR")
    user, link = answer["user"], answer["setPasswordLink"]
    assert (user["email"], user["firstName"], user["globalRole"], user["enabled"]) == \
        ("new.person@example.org", "Nia", "ADMINISTRATOR", True)
    assert link["path"] == f"/#/set-password/{link['token']}"
    expires = datetime.fromisoformat(link["expiresAt"])
    assert timedelta(hours=71) < expires - datetime.now(timezone.utc) <= timedelta(hours=72)
    with sessions() as db:  # only a hash is stored
        assert link["token"] not in {row.token_hash for row in db.scalars(select(PasswordLink))}
    # Nobody can sign in before the link is used.
    FlaskClient(app).post("/sign-in", {"email": user["email"], "password": PASSWORD}).error(401, 51)
    stranger = FlaskClient(app)
    stranger.post("/set-password", {"token": link["token"], "password": "short"}).error(400, 26)
    assert stranger.post("/set-password", {"token": link["token"], "password": PASSWORD}).ok()["email"] == user["email"]
    stranger.post("/set-password", {"token": link["token"], "password": "another password"}).error(400, 55)
    FlaskClient(app).sign_in(user["email"])
    listed = {row["email"]: row for row in owner.get("/users").ok()}
    assert listed["new.person@example.org"]["enabled"] is True


def test_accounts_are_made_by_the_owner_and_administrators_only(app: Flask, owner: FlaskClient) -> None:
    _create(owner, "plain@example.org")
    plain = FlaskClient(app)
    plain.post("/set-password", {"token": owner.post(f"/users/{_id(owner, 'plain@example.org')}/password-link").ok(201)
                                 ["setPasswordLink"]["token"], "password": PASSWORD}).ok()
    plain.sign_in("plain@example.org")
    plain.post("/users", {"email": "other@example.org"}).error(403, 9)
    plain.post(f"/users/{_id(owner, 'owner@example.org')}/password-link").error(403, 9)
    owner.post("/users", {"email": "boss@example.org", "globalRole": "OWNER"}).error(403, 9)
    owner.post("/users", {"email": "plain@example.org"}).error(400, 4)
    owner.post("/users", {"email": "not an address"}).error(400, 22)


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app: Flask, owner: FlaskClient) -> None:
    link = _create(owner, "leaver@example.org")["setPasswordLink"]
    FlaskClient(app).post("/set-password", {"token": link["token"], "password": PASSWORD}).ok()
    leaver = FlaskClient(app)
    leaver.sign_in("leaver@example.org")
    user_id = _id(owner, "leaver@example.org")
    assert owner.put(f"/users/{user_id}/enabled", {"enabled": False}).ok()["enabled"] is False
    leaver.get("/me").error(401, 50)
    FlaskClient(app).post("/sign-in", {"email": "leaver@example.org", "password": PASSWORD}).error(401, 51)
    owner.put(f"/users/{user_id}/enabled", {"enabled": "no"}).error(400, 26)
    owner.put(f"/users/{_id(owner, 'owner@example.org')}/enabled", {"enabled": False}).error(403, 9)
    owner.put(f"/users/{user_id}/enabled", {"enabled": True}).ok()
    FlaskClient(app).sign_in("leaver@example.org")


def test_a_reset_link_replaces_the_earlier_one_and_expires(app: Flask, owner: FlaskClient, sessions) -> None:
    first = _create(owner, "forgetful@example.org")["setPasswordLink"]["token"]
    user_id = _id(owner, "forgetful@example.org")
    second = owner.post(f"/users/{user_id}/password-link").ok(201)["setPasswordLink"]["token"]
    FlaskClient(app).post("/set-password", {"token": first, "password": PASSWORD}).error(400, 55)
    with sessions.begin() as db:
        db.execute(update(PasswordLink).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    FlaskClient(app).post("/set-password", {"token": second, "password": PASSWORD}).error(400, 55)
    third = owner.post(f"/users/{user_id}/password-link").ok(201)["setPasswordLink"]["token"]
    FlaskClient(app).post("/set-password", {"token": third, "password": PASSWORD}).ok()
    FlaskClient(app).sign_in("forgetful@example.org")


def test_closed_sign_up_refuses_strangers_but_not_accounts_made_by_the_owner(app: Flask, owner: FlaskClient) -> None:
    assert FlaskClient(app).get("/installation").ok() == {"signUpOpen": True}
    assert owner.put("/installation", {"signUpOpen": False}).ok() == {"signUpOpen": False}
    assert FlaskClient(app).get("/installation").ok() == {"signUpOpen": False}
    message = FlaskClient(app).post("/sign-up", {"email": "stranger@example.org", "password": PASSWORD}).error(403, 54)
    assert "ask its owner" in message
    _create(owner, "invited@example.org")
    owner.put("/installation", {"signUpOpen": "yes"}).error(400, 26)
    owner.put("/installation", {"signUpOpen": True}).ok()
    FlaskClient(app).sign_up("stranger@example.org")


def _id(owner: FlaskClient, email: str) -> str:
    return next(user["userId"] for user in owner.get("/users").ok() if user["email"] == email)

"""Sign-up, sign-in and sign-out, the CSRF token, the signed-in user's profile, password and sessions."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from admin import accounts, auth_sessions, errors
from admin.views import render
from admin.web import (actor, body, clear_session_cookies, context, csrf_token, public, session_token,
                       set_csrf_cookie, set_session_cookies, transaction)

blueprint = Blueprint("accounts", __name__)


@blueprint.get("/csrf")
@public
def get_csrf():
    token = csrf_token()
    response = jsonify({"csrfToken": token})
    if session_token() is None:
        set_csrf_cookie(response, token)
    return response


@blueprint.post("/sign-up")
@public
def sign_up():
    fields = body()
    with transaction() as db:
        user = accounts.create_user(db, fields.get("email"), fields.get("password"),
                                    fields.get("firstName"), fields.get("lastName"))
        return render.user(user), 201


@blueprint.post("/sign-in")
@public
def sign_in():
    fields = body()
    admin = context()
    with transaction() as db:
        result = accounts.sign_in(db, fields.get("email"), fields.get("password"), request.remote_addr,
                                  admin.email_policy, admin.client_policy, admin.session_lifetime)
        answer = render.user(result.user) if result.user else None
    if result.retry_after is not None:
        raise errors.TooManySignIns(result.retry_after)
    if result.token is None:
        raise errors.bad_credentials()
    response = jsonify(answer)
    set_session_cookies(response, result.token)
    return response


@blueprint.post("/sign-out")
@public
def sign_out():
    token = session_token()
    if token is not None:
        with transaction() as db:
            auth_sessions.revoke(db, token)
    response = Response(status=204)
    clear_session_cookies(response)
    return response


@blueprint.get("/session")
@public
def get_session():
    """Who is signed in: ``{"user": null}`` rather than a 401 when nobody is (the web UI asks at start)."""
    if session_token() is None:
        return {"user": None}
    with transaction() as db:
        return {"user": render.user(accounts.current_user(db, actor()))}


@blueprint.get("/me")
def me():
    with transaction() as db:
        return render.user(accounts.current_user(db, actor()))


@blueprint.put("/me")
def update_me():
    fields = body()
    with transaction() as db:
        return render.user(accounts.update_name(db, actor(), fields.get("firstName"), fields.get("lastName")))


@blueprint.put("/me/password")
def change_password():
    fields = body()
    with transaction() as db:
        accounts.change_password(db, actor(), fields.get("oldPassword"), fields.get("newPassword"),
                                 keep_token=session_token())
    return Response(status=204)


@blueprint.delete("/me/sessions")
def revoke_my_sessions():
    """Sign out everywhere, this browser included."""
    with transaction() as db:
        revoked = auth_sessions.revoke_all(db, actor().user_id)
    response = jsonify({"revoked": revoked})
    clear_session_cookies(response)
    return response

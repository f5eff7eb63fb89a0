"""What every admin view shares: the database, the signed-in actor, JSON bodies, and the cookies.

Cookies:
- ``likeness_session``: the session token. HttpOnly, ``SameSite=Strict``, ``Path=/admin``,
  ``Secure`` with SECURE_COOKIES. Strict costs nothing here: the cookie is only ever needed by
  the web UI's own calls to /admin/ (same site), never on a navigation from another site.
- ``csrf_token``: readable by the UI's scripts (not HttpOnly, ``Path=/`` so that a page at ``/``
  sees it), ``SameSite=Strict``. Every POST, PUT, PATCH and DELETE must repeat it in the
  ``X-CSRF-Token`` header (double submit). Signed in, the token is derived from the session
  token, so a forged cookie does not pass. Sign-up and sign-in need it too (an anonymous
  random token from ``GET /admin/csrf``): otherwise another site could sign a victim in to
  the attacker's account (login CSRF).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, current_app, g, request
from sqlalchemy.orm import Session, sessionmaker

from admin import auth_sessions, errors
from admin.permissions import Actor
from admin.settings import AdminSettings
from admin.throttle import Policy

SESSION_COOKIE = "likeness_session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_PATH = "/admin"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class AdminContext:
    """What the admin process holds."""

    settings: AdminSettings
    sessions: sessionmaker[Session]

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_hours)

    @property
    def password_link_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.password_link_hours)

    @property
    def email_policy(self) -> Policy:
        settings = self.settings
        return Policy(settings.sign_in_free_failures, settings.sign_in_lock_seconds,
                      settings.sign_in_max_lock_seconds, settings.sign_in_failure_window_seconds)

    @property
    def client_policy(self) -> Policy:
        settings = self.settings
        return Policy(settings.sign_in_free_failures_per_client, settings.sign_in_lock_seconds,
                      settings.sign_in_max_lock_seconds, settings.sign_in_failure_window_seconds)


def context() -> AdminContext:
    return current_app.extensions["likeness-admin"]


def transaction() -> AbstractContextManager[Session]:
    """A database session in a transaction, committed when the block ends without an error."""
    return context().sessions.begin()


def public(view: Callable[..., object]) -> Callable[..., object]:
    """Mark a view as served without a session; every other view needs one."""
    view.likeness_public = True
    return view


def actor() -> Actor:
    """The signed-in user (views not marked :func:`public` only run with one)."""
    if g.actor is None:
        raise errors.sign_in_required()
    return g.actor


def session_token() -> str | None:
    """The request's session token when it is valid."""
    return g.session_token if g.actor is not None else None


def body() -> dict[str, object]:
    """The request's JSON object (Content-Type: application/json)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise errors.validation("The body must be a JSON object")
    if _has_nul(data):  # PostgreSQL stores no NUL character, and refuses one even in a comparison
        raise errors.validation("Text in the body cannot contain the NUL character (\\u0000)")
    return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def load_actor() -> None:
    """Before each request: who is signed in (``g.actor``, None when nobody)."""
    g.session_token = request.cookies.get(SESSION_COOKIE)
    g.actor = None
    if g.session_token:
        with context().sessions() as db:
            g.actor = auth_sessions.actor_for_token(db, g.session_token)


def require_session() -> None:
    """Before each request: 401 (code 50) for a view not marked :func:`public`, without a valid
    session (before the body is even looked at)."""
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and g.actor is None and not getattr(view, "likeness_public", False):
        raise errors.sign_in_required()


def check_csrf() -> None:
    """Before each request: state-changing calls must carry the CSRF token (403, code 53)."""
    if request.method not in UNSAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "").encode()
    header = request.headers.get(CSRF_HEADER, "").encode()
    token = session_token()
    expected = auth_sessions.csrf_token_for(token).encode() if token else cookie
    if not (cookie and hmac.compare_digest(header, cookie) and hmac.compare_digest(cookie, expected)):
        raise errors.csrf_refused()


def csrf_token() -> str:
    """The CSRF token for this request: the session's, or a new anonymous one."""
    token = session_token()
    return auth_sessions.csrf_token_for(token) if token else _anonymous_csrf_token()


def _anonymous_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, value: str, max_age: int | None = None) -> None:
    response.set_cookie(CSRF_COOKIE, value, max_age=max_age, path="/", httponly=False, samesite="Strict",
                        secure=context().settings.secure_cookies)


def set_session_cookies(response: Response, token: str) -> None:
    """Sign the browser in: the session cookie and the session's CSRF token."""
    max_age = int(context().session_lifetime.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path=SESSION_PATH, httponly=True,
                        samesite="Strict", secure=context().settings.secure_cookies)
    set_csrf_cookie(response, auth_sessions.csrf_token_for(token), max_age)


def clear_session_cookies(response: Response) -> None:
    """Sign the browser out: no session cookie, a new anonymous CSRF token."""
    response.delete_cookie(SESSION_COOKIE, path=SESSION_PATH, httponly=True, samesite="Strict",
                           secure=context().settings.secure_cookies)
    set_csrf_cookie(response, _anonymous_csrf_token())

"""Failed sign-ins are slowed down: per e-mail address and per client address, without telling
which addresses are registered."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import select, update

from admin.app import create_app
from admin.throttle import Policy
from db.models import SignInFailure
from tests.admin.client import PASSWORD, FlaskClient
from tests.admin.conftest import admin_settings

FREE, PER_CLIENT, LOCK = 3, 8, 30


@pytest.fixture(scope="module")
def app(database_url: str) -> Flask:
    app = create_app(admin_settings(database_url, sign_in_free_failures=FREE,
                                    sign_in_free_failures_per_client=PER_CLIENT, sign_in_lock_seconds=LOCK,
                                    sign_in_max_lock_seconds=100, proxy_count=1))
    FlaskClient(app).sign_up("victim@example.org")
    return app


def _attempt(app: Flask, email: str, password: str = "wrong password", address: str = "10.0.0.1"):
    return FlaskClient(app, address).post("/sign-in", {"email": email, "password": password})


def _unlock(sessions, key: str) -> None:
    with sessions.begin() as db:
        db.execute(update(SignInFailure).where(SignInFailure.key == key)
                   .values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_locks_double_up_to_the_maximum() -> None:
    policy = Policy(free_failures=3, lock_seconds=30, max_lock_seconds=100, window_seconds=60)
    assert [policy.lock_for(failures) for failures in range(1, 7)] == [0, 0, 30, 60, 100, 100]


@pytest.mark.parametrize("email", ["victim@example.org", "nobody@example.org"])
def test_too_many_failures_lock_the_address_whether_or_not_it_is_registered(app: Flask, sessions, email: str) -> None:
    for _ in range(FREE):
        _attempt(app, email, address="10.0.1.1").error(401, 51)
    locked = _attempt(app, email, PASSWORD, address="10.0.1.2")
    assert "try again" in locked.error(429, 52)
    assert 0 < int(locked.headers["Retry-After"]) <= LOCK
    _unlock(sessions, f"email:{email}")
    # One more failure: locked twice as long.
    _attempt(app, email, address="10.0.1.3").error(401, 51)
    assert LOCK < int(_attempt(app, email, PASSWORD, address="10.0.1.4").headers["Retry-After"]) <= 2 * LOCK
    _unlock(sessions, f"email:{email}")
    if email == "victim@example.org":  # success forgets the failures
        _attempt(app, email, PASSWORD, address="10.0.1.5").ok()
        with sessions() as db:
            assert db.get(SignInFailure, f"email:{email}") is None


def test_failures_from_one_client_lock_that_client(app: Flask) -> None:
    for number in range(PER_CLIENT):
        _attempt(app, f"guess{number}@example.org", address="10.0.2.1").error(401, 51)
    _attempt(app, "victim@example.org", PASSWORD, address="10.0.2.1").error(429, 52)
    _attempt(app, "victim@example.org", PASSWORD, address="10.0.2.2").ok()


def test_the_client_address_comes_from_the_trusted_proxy(app: Flask, sessions) -> None:
    FlaskClient(app).call("POST", "/sign-in", {"email": "proxied@example.org", "password": "wrong password"},
                          headers={"X-Forwarded-For": "192.0.2.7"}).error(401, 51)
    with sessions() as db:
        assert db.get(SignInFailure, "client:192.0.2.7").failures == 1


def test_old_failures_are_forgotten(app: Flask, sessions) -> None:
    email = "forgetful@example.org"
    for _ in range(FREE - 1):
        _attempt(app, email, address="10.0.3.1")
    with sessions.begin() as db:
        db.execute(update(SignInFailure).where(SignInFailure.key == f"email:{email}")
                   .values(last_failure_at=datetime.now(timezone.utc) - timedelta(days=1)))
    _attempt(app, email, address="10.0.3.1").error(401, 51)
    with sessions() as db:
        assert db.scalar(select(SignInFailure.failures).where(SignInFailure.key == f"email:{email}")) == 1


def test_forgotten_failures_are_deleted(app: Flask, sessions) -> None:
    long_ago = datetime.now(timezone.utc) - timedelta(days=1)
    with sessions.begin() as db:
        db.add_all([SignInFailure(key="email:stale@example.org", failures=9, last_failure_at=long_ago),
                    SignInFailure(key="email:locked@example.org", failures=9, last_failure_at=long_ago,
                                  locked_until=long_ago + timedelta(days=2))])
    _attempt(app, "someone@example.org", address="10.0.4.1").error(401, 51)
    with sessions() as db:
        assert db.get(SignInFailure, "email:stale@example.org") is None
        assert db.get(SignInFailure, "email:locked@example.org") is not None

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from pydantic import SecretStr

from admin.app import create_app
from admin.settings import AdminSettings
from db.engine import make_engine, make_sessions
from tests.admin.client import FlaskClient
from tests.support.database import fresh_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def admin_settings(database_url: str, **overrides: object) -> AdminSettings:
    """Settings for a test admin: this database, no core or api servers unless given."""
    return AdminSettings(database_url=SecretStr(database_url), **{"python_url": "", **overrides})


@pytest.fixture(scope="module")
def app(database_url: str) -> Flask:
    return create_app(admin_settings(database_url))


@pytest.fixture(scope="module")
def sessions(database_url: str):
    """Direct access to the test database."""
    engine = make_engine(database_url)
    yield make_sessions(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def owner(app: Flask) -> FlaskClient:
    """The installation's owner (the first user), signed in."""
    browser = FlaskClient(app)
    browser.sign_up("owner@example.org")
    browser.sign_in("owner@example.org")
    return browser

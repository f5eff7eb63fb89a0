"""The api application in this process: ``create_app(settings, state)`` with a real database and a
fake core (:class:`FakeCoreClient`); requests through Flask's test client, no server, no models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from api.settings import ApiSettings
from api.state import ApiState
from tests.api_unit.fake_core import FakeCoreClient
from tests.support.database import create_services, fresh_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def keys(database_url: str) -> dict[str, str]:
    """A new application with one service of each type, for each test: no test sees another's collection."""
    return create_services(database_url, application=f"unit-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def core() -> FakeCoreClient:
    return FakeCoreClient()


@pytest.fixture(scope="module")
def state(database_url: str, core: FakeCoreClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiState]:
    settings = ApiSettings(database_url=database_url, url_cache_dir=tmp_path_factory.mktemp("url-cache"))
    state = ApiState.start(settings, core=core)
    assert state.indexes.loaded.wait(30), "the collections were not loaded within 30 s"
    yield state
    state.stop()


@pytest.fixture(scope="module")
def client(state: ApiState) -> FlaskClient:
    return create_app(state.settings, state).test_client()

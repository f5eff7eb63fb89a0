"""One api server (two gunicorn workers, JSON logs) and one admin server (text logs) for every test
of this folder, on a database of their own, with the session's core server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.admin_process import AdminProcess
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import create_services, fresh_database


@pytest.fixture(scope="package")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="package")
def keys(database_url: str) -> dict[str, str]:
    return create_services(database_url)


@pytest.fixture(scope="package")
def api(tmp_path_factory: pytest.TempPathFactory, database_url: str, core: CoreProcess,
        keys: dict[str, str]) -> Iterator[ApiProcess]:
    server = ApiProcess(tmp_path_factory.mktemp("api") / "api.log", database_url, core.address, workers=2,
                        log_format="json").wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def admin(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[AdminProcess]:
    server = AdminProcess(tmp_path_factory.mktemp("admin") / "admin.log", database_url, python_url="").wait_ready()
    yield server
    server.stop()

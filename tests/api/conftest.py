from __future__ import annotations

from collections.abc import Iterator

import pytest

from db.engine import make_engine, make_sessions
from db.models import Application, Service, ServiceType
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import fresh_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def create_services(database_url: str, application: str = "Tests") -> dict[str, str]:
    """One service of each type in a new application; type name (lower case) -> API key."""
    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as session:
            app = Application(name=application)
            services = {kind: Service(application=app, name=f"{application}-{kind.value.lower()}", type=kind)
                        for kind in ServiceType}
            session.add_all([app, *services.values()])
            session.flush()
            return {kind.value.lower(): str(service.api_key) for kind, service in services.items()}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def keys(database_url: str) -> dict[str, str]:
    return create_services(database_url)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, database_url: str, core: CoreProcess,
        keys: dict[str, str]) -> Iterator[ApiProcess]:
    server = ApiProcess(tmp_path_factory.mktemp("api") / "api.log", database_url, core.address).wait_ready()
    yield server
    server.stop()

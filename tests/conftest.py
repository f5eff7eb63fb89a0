from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from runner.platform import LocalPlatform, PlatformOptions, free_port
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import create_services, fresh_database


@pytest.fixture(scope="session")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreProcess]:
    """A real embedding server with the default pack, batching on, caching off."""
    logs = tmp_path_factory.mktemp("core")
    server = CoreProcess(logs / "core.log", grpc_workers=16, batching=True).wait_serving()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def keys(database_url: str) -> dict[str, str]:
    return create_services(database_url)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, database_url: str, core: CoreProcess,
        keys: dict[str, str]) -> Iterator[ApiProcess]:
    server = ApiProcess(tmp_path_factory.mktemp("api") / "api.log", database_url, core.address).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    """The whole platform as `make run` starts it (1 core, 1 api, admin, the nginx gateway), on a free
    port with a database of its own; ``platform.url`` is the gateway."""
    with fresh_database() as url:
        options = PlatformOptions(port=free_port(), database_url=url, run_dir=tmp_path_factory.mktemp("platform"),
                                  echo=False)
        with LocalPlatform(options) as running:
            yield running


@pytest.fixture(scope="module")
def platform_keys(platform: LocalPlatform) -> dict[str, str]:
    """API keys of one new service of each type in the platform's database (a new application per module)."""
    return create_services(platform.database_url, application=f"Tests-{uuid.uuid4().hex[:8]}")

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.core_process import CoreProcess


@pytest.fixture(scope="session")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreProcess]:
    """A real embedding server with the default pack, batching on, caching off."""
    logs = tmp_path_factory.mktemp("core")
    server = CoreProcess(logs / "core.log", grpc_workers=16, batching=True).wait_serving()
    yield server
    server.stop()

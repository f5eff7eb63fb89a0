"""A platform of the hardening tests' own (the shared ``platform`` fixture's admin must stay without
users for the web UI's sign-up test): two api servers behind the gateway, DEBUG logging everywhere (the
most a log could give away) and a 3-second client time-out at the gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner.platform import LocalPlatform, PlatformOptions, free_port
from tests.support.database import fresh_database

CLIENT_TIMEOUT_S = 3


@pytest.fixture(scope="session")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    with fresh_database() as url:
        options = PlatformOptions(port=free_port(), api_servers=2, database_url=url,
                                  run_dir=tmp_path_factory.mktemp("hardened"), echo=False,
                                  env={"LOG_LEVEL": "DEBUG", "CLIENT_TIMEOUT_S": str(CLIENT_TIMEOUT_S)})
        with LocalPlatform(options) as running:
            yield running

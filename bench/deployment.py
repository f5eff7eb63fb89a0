"""The platform under test, started by the same code as `make run`, with one service of each type."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from runner.platform import LocalPlatform, PlatformOptions, free_port
from tests.support.database import create_services

REQUEST_TIMEOUT_S = 120


@dataclass
class Deployment:
    platform: LocalPlatform
    keys: dict[str, str]  # "recognition" / "detection" / "verification" -> API key

    @property
    def url(self) -> str:
        return self.platform.url

    def session(self, pool: int = 4) -> requests.Session:
        """An HTTP session to the gateway (keep-alive) with up to ``pool`` connections."""
        session = requests.Session()
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
        return session

    def post(self, session: requests.Session, path: str, service: str, **arguments: object) -> requests.Response:
        """POST to a public API route with the key of the ``service`` type."""
        return session.post(f"{self.url}{path}", headers={"x-api-key": self.keys[service]},
                            timeout=REQUEST_TIMEOUT_S, **arguments)


@contextmanager
def deployment(core_servers: int = 1, env: dict[str, str] | None = None) -> Iterator[Deployment]:
    """A fresh platform (new embedded database in a temporary folder, gateway on a free port)."""
    with tempfile.TemporaryDirectory(prefix="likeness-bench-") as run_dir:
        options = PlatformOptions(port=free_port(), core_servers=core_servers, api_servers=1, database_url=None,
                                  run_dir=Path(run_dir), env=env or {}, echo=False)
        with LocalPlatform(options) as platform:
            yield Deployment(platform, create_services(platform.database_url, "Bench"))

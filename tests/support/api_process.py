"""Starts real api and admin servers (gunicorn) on free ports, for tests and benchmarks."""

from __future__ import annotations

import os
import time
from pathlib import Path

import requests

from runner.gunicorn import gunicorn_command
from runner.platform import free_port
from tests.support.processes import LoggedProcess


class GunicornProcess(LoggedProcess):
    """A Flask application served by gunicorn; ``url(path)`` gives the address of a route."""

    def __init__(self, server: str, log_path: Path, basepath: str, settings: dict[str, object],
                 workers: int | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.basepath = basepath.rstrip("/")
        env = {**os.environ, "PORT": str(self.port)}
        env.update({name.upper(): str(value) for name, value in settings.items()})
        super().__init__(gunicorn_command(server, f"127.0.0.1:{self.port}", workers=workers, graceful_timeout_s=5),
                         env, log_path)

    def url(self, path: str) -> str:
        return f"{self.base}{self.basepath}{path}"

    def wait_ready(self, timeout: float = 90) -> "GunicornProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if requests.get(self.url("/ready"), timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"server was not ready in {timeout} s: {self.log_tail()}")


class ApiProcess(GunicornProcess):
    """One api server (one process, many threads, as in production, unless ``workers`` says otherwise)."""

    def __init__(self, log_path: Path, database_url: str, python_url: str, workers: int = 1,
                 **settings: object) -> None:
        settings = {"database_url": database_url, "python_url": python_url,
                    "url_cache_dir": log_path.with_suffix(".url-cache"), **settings}
        super().__init__("api", log_path, str(settings.get("api_basepath", "/")), settings, workers)

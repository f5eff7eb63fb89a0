"""Starts real api servers (gunicorn serving api.app) on free ports, for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.core_process import PROJECT_ROOT, free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")


class ApiProcess:
    """One api server process; ``url(path)`` gives the address of a route."""

    def __init__(self, log_path: Path, database_url: str, python_url: str, **settings: object) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORT": str(self.port), "DATABASE_URL": database_url, "PYTHON_URL": python_url,
               "URL_CACHE_DIR": str(log_path.with_suffix(".url-cache"))}
        env.update({name.upper(): str(value) for name, value in settings.items()})
        self.basepath = str(settings.get("api_basepath", "/")).rstrip("/")
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--worker-class", "gthread", "--workers", "1", "--threads", "16",
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "api.app:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"{self.base}{self.basepath}{path}"

    def wait_ready(self, timeout: float = 90) -> "ApiProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"api exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if requests.get(self.url("/ready"), timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"api was not ready in {timeout} s: {self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

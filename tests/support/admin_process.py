"""Starts a real admin server (gunicorn serving admin.app) on a free port, for tests.

Waiting, logs and stopping are ApiProcess's: an admin server differs only in its command and
environment, and in living under /admin (``url("/ready")`` is ``/admin/ready``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.api_process import GUNICORN, ApiProcess
from tests.support.core_process import PROJECT_ROOT, free_port


class AdminProcess(ApiProcess):
    """One admin server process; ``url("/apps")`` is the address of ``/admin/apps``."""

    def __init__(self, log_path: Path, database_url: str, **settings: object) -> None:
        # Not ApiProcess.__init__: that one starts an api server.
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.basepath = "/admin"
        env = {**os.environ, "PORT": str(self.port), "DATABASE_URL": database_url}
        env.update({name.upper(): str(value) for name, value in settings.items()})
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(GUNICORN), "--worker-class", "gthread", "--workers", "2", "--threads", "4",
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "admin.app:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

"""Starts a real admin server (gunicorn serving admin.app) on a free port, for tests."""

from __future__ import annotations

from pathlib import Path

from tests.support.api_process import GunicornProcess


class AdminProcess(GunicornProcess):
    """One admin server; it lives under /admin, so ``url("/apps")`` is the address of ``/admin/apps``."""

    def __init__(self, log_path: Path, database_url: str, **settings: object) -> None:
        super().__init__("admin", log_path, "/admin", {"database_url": database_url, **settings})

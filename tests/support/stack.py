"""The compose stack of docker-compose.yml, as the container tests and the container benchmark run it.

``ComposeStack`` runs ``docker compose`` in the repository root under a project name of its own
(``likeness-tests``, so that a user's own ``likeness`` stack is never touched), with:

* ``COMPOSE_FILE`` = docker-compose.yml plus the stand-ins' override (tests/support/standins.py):
  every command a user types (``docker compose up -d``) runs unchanged;
* ``GATEWAY_PORT`` = ``127.0.0.1:<free port>``: the gateway is published on loopback only;
* ``MODELS_VOLUME`` = the shared model folder (``../shared/models``), mounted read-only by core.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from runner.platform import free_port
from tests.support import standins
from tests.support.engine import ensure_compose, ensure_engine
from tests.support.paths import MODELS_DIR, PROJECT_ROOT

PROJECT = "likeness-tests"
COMPOSE_TIMEOUT_S = 1800
SERVICES = ("postgres", "migrate", "models", "core", "api", "admin", "gateway")
IMAGES = {"core": "likeness/core", "api": "likeness/api", "admin": "likeness/admin", "gateway": "likeness/gateway"}


EXTERNAL_DATABASE = f"{PROJECT}-external-db"


@dataclass
class ExternalPostgres:
    """A PostgreSQL server outside the compose project, in a container of its own on the project's network."""

    container: str
    url: str

    def query(self, sql: str) -> str:
        """``sql``'s rows as psql prints them unaligned."""
        done = subprocess.run(["docker", "exec", self.container, "psql", "--username", "likeness", "--dbname",
                               "likeness", "--tuples-only", "--no-align", "--command", sql],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


class ComposeStack:
    """``docker compose`` on the repository's compose file with the stand-in base images."""

    def __init__(self, folder: Path, project: str = PROJECT) -> None:
        self.engine_version = ensure_engine()
        self.compose_version = ensure_compose()
        standins.ensure_standins()
        self.folder = folder
        self.override = standins.override_file(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.project = project
        self.env = {**os.environ, "COMPOSE_FILE": f"docker-compose.yml:{self.override}",
                    "COMPOSE_PROJECT_NAME": project, "GATEWAY_PORT": f"127.0.0.1:{self.port}",
                    "MODELS_VOLUME": str(MODELS_DIR)}

    def compose(self, *args: str, timeout: float = COMPOSE_TIMEOUT_S, check: bool = True,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``docker compose ARGS`` in the repository root; raises with its output when it fails and ``check``."""
        done = subprocess.run(["docker", "compose", *args], cwd=PROJECT_ROOT, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{(done.stdout + done.stderr)[-4000:]}\n{self.logs_tail()}")
        return done

    def shell(self, script: str, timeout: float = COMPOSE_TIMEOUT_S,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """A block of README commands run by bash in the repository root, as a user runs it, against this stack:
        ``localhost:8000`` becomes the gateway's loopback port and ``-f`` lists end with the stand-ins' override."""
        script = script.replace("localhost:8000", f"127.0.0.1:{self.port}")
        script = re.sub(r"((?:-f \S+\.yml )+)", lambda match: f"{match.group(1)}-f {self.override} ", script)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=PROJECT_ROOT,
                              env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"the commands failed ({done.returncode}):\n{script}\n--- output:\n"
                                 f"{(done.stdout + done.stderr)[-4000:]}\n{self.logs_tail()}")
        return done

    def containers(self, service: str) -> list[str]:
        """Names of the service's running containers, sorted."""
        listed = self.compose("ps", "--format", "{{.Name}}", service).stdout.split()
        return sorted(listed)

    def health(self) -> dict[str, str]:
        """Each running container's name and state (``healthy``, ``starting``, ``running``, ...)."""
        listed = self.compose("ps", "--format", "{{.Name}} {{.State}} {{.Health}}").stdout.splitlines()
        return {name: (health or state) for name, state, health in
                (f"{line} ".split(" ", 2) for line in listed if line.strip())}

    def wait_healthy(self, timeout: float = 600) -> float:
        """Wait until every running container is healthy and /health at the gateway is 200; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            states = self.health()
            if states and all(state.strip() in ("healthy", "running") for state in states.values()) \
                    and self.gateway_ok():
                return time.monotonic() - started
            time.sleep(1)
        raise AssertionError(f"the stack was not healthy within {timeout} s: {self.health()}\n{self.logs_tail()}")

    def gateway_ok(self) -> bool:
        try:
            return requests.get(f"{self.url}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def logs_tail(self, lines: int = 30) -> str:
        done = subprocess.run(["docker", "compose", "logs", "--no-color", "--tail", str(lines)], cwd=PROJECT_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)
        return f"--- docker compose logs (last {lines} lines of each):\n{done.stdout[-6000:]}"

    def external_postgres(self, *compose_files: str) -> ExternalPostgres:
        """Start the stand-in PostgreSQL outside the project (``docker run``) on the network that
        ``docker compose -f FILES create`` makes, reachable from the stack as ``EXTERNAL_DATABASE``."""
        files = [argument for name in (*compose_files, str(self.override)) for argument in ("-f", name)]
        self.compose(*files, "create")
        password = "external-secret"
        subprocess.run(["docker", "run", "--detach", "--name", EXTERNAL_DATABASE, "--network", f"{self.project}_default",
                        "--env", "POSTGRES_USER=likeness", "--env", f"POSTGRES_PASSWORD={password}",
                        "--env", "POSTGRES_DB=likeness", standins.POSTGRES], check=True, capture_output=True)
        deadline = time.monotonic() + 120
        while subprocess.run(["docker", "exec", EXTERNAL_DATABASE, "pg_isready", "--host", "127.0.0.1"],
                             capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "the external PostgreSQL did not start within 120 s"
            time.sleep(1)
        return ExternalPostgres(EXTERNAL_DATABASE, f"postgresql://likeness:{password}@{EXTERNAL_DATABASE}:5432/likeness")

    def down(self, volumes: bool = True) -> None:
        """Remove the stack's containers (and volumes), and the external PostgreSQL if one runs."""
        subprocess.run(["docker", "rm", "--force", "--volumes", EXTERNAL_DATABASE], capture_output=True)
        self.compose("down", "--remove-orphans", *(["--volumes"] if volumes else []), "--timeout", "20")

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
import threading
import time
import uuid
from dataclasses import dataclass, field
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
RECOGNIZE = "/api/v1/recognition/recognize"


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
        states = {}
        for line in self.compose("ps", "--format", "{{.Name}} {{.State}} {{.Health}}").stdout.splitlines():
            if line.strip():
                name, state, *health = line.split()
                states[name] = health[0] if health else state
        return states

    def wait_healthy(self, timeout: float = 600) -> float:
        """Wait until every running container is healthy and /health at the gateway is 200; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            states = self.health()
            if states and all(state in ("healthy", "running") for state in states.values()) \
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

    def likeness(self, *args: str, stdin: str | None = None) -> str:
        """The `likeness` command in an admin container; its output."""
        done = subprocess.run(["docker", "compose", "exec", "-T", "admin", "likeness", *args], cwd=PROJECT_ROOT,
                              env=self.env, input=stdin, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"likeness {' '.join(args)} failed: {done.stdout}{done.stderr}"
        return done.stdout

    def new_key(self, kind: str) -> str:
        """The API key of a new service of ``kind`` (recognition, detection, verification)."""
        return self.likeness("service", "create", "--type", kind, "--name", f"{kind}-{uuid.uuid4().hex[:6]}").split()[-1]

    def recognize(self, key: str, photo: Path, timeout: float = 60) -> requests.Response:
        """A recognition of ``photo`` through the gateway."""
        with photo.open("rb") as image:
            return requests.post(self.url + RECOGNIZE, headers={"x-api-key": key}, files={"file": image},
                                 timeout=timeout)

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


@dataclass
class KillRun:
    """What clients saw while one core container was killed: (time, status, body) of every recognition."""

    killed_at: float
    answers: list[tuple[float, int, str]] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[int, str]]:
        return [(status, text) for _, status, text in self.answers if status != 200]


def kill_a_core_under_load(stack: ComposeStack, key: str, photo: Path, clients: int = 4,
                           before_s: float = 5, after_s: float = 20) -> KillRun:
    """Recognitions of ``photo`` by ``clients`` concurrent clients through the gateway; after ``before_s``
    the second core container is killed (SIGKILL), and the stream goes on for ``after_s``."""
    run = KillRun(killed_at=0.0)
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            try:
                answer = stack.recognize(key, photo)
                run.answers.append((time.monotonic(), answer.status_code, answer.text))
            except requests.RequestException as error:
                run.answers.append((time.monotonic(), 0, str(error)))

    workers = [threading.Thread(target=stream) for _ in range(clients)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(before_s)
        victim = stack.containers("core")[1]
        run.killed_at = time.monotonic()
        subprocess.run(["docker", "kill", "--signal", "KILL", victim], check=True, capture_output=True)
        time.sleep(after_s)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=120)
    return run

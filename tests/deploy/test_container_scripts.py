"""The commands the images add (deploy/docker/), run as the containers run them: the health check
docker compose calls, the model fetcher that fills the models volume, the schema wait of api and admin pods."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from db.migrate import head, upgrade
from tests.support.database import fresh_database
from tests.support.paths import MODELS_DIR, PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "deploy" / "docker"


def run(script: str, *arguments: str, **env: str) -> subprocess.CompletedProcess:
    """``script`` from deploy/docker/ with the project importable, as in the images."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env}
    return subprocess.run([sys.executable, str(SCRIPTS / script), *arguments], env=environment,
                          capture_output=True, text=True, timeout=60)


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status = 200 if self.path == "/ready" else 503
        body = b'{"ready": false, "core": false}' if status == 503 else b'{"ready": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def grpc_health_server() -> Iterator[tuple[str, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", servicer
    server.stop(grace=0)


def test_health_check_passes_on_200_and_fails_with_the_answer_otherwise(http_server: str) -> None:
    assert run("healthcheck.py", f"{http_server}/ready").returncode == 0
    failed = run("healthcheck.py", f"{http_server}/not-ready")
    assert failed.returncode == 1
    assert "503" in failed.stderr and '"core": false' in failed.stderr


def test_health_check_fails_when_nothing_listens() -> None:
    failed = run("healthcheck.py", "http://127.0.0.1:1/ready")
    assert failed.returncode == 1 and "refused" in failed.stderr.lower()


def test_health_check_follows_the_grpc_health_service(grpc_health_server: tuple[str, health.HealthServicer]) -> None:
    address, servicer = grpc_health_server
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    loading = run("healthcheck.py", f"grpc://{address}")
    assert loading.returncode == 1 and "NOT_SERVING" in loading.stderr
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert run("healthcheck.py", f"grpc://{address}").returncode == 0


def test_health_check_explains_its_usage() -> None:
    wrong = run("healthcheck.py", "localhost:8080")
    assert wrong.returncode == 2 and "usage" in wrong.stderr


def test_fetch_models_reports_a_complete_models_folder() -> None:
    done = run("fetch_models.py", MODELS_DIR=str(MODELS_DIR), FETCH_MISSING_MODELS="false")
    assert done.returncode == 0, done.stderr
    assert f"detector: {MODELS_DIR}" in done.stdout and f"calculator: {MODELS_DIR}" in done.stdout


def test_fetch_models_fails_when_the_pack_cannot_run(tmp_path: Path) -> None:
    failed = run("fetch_models.py", MODELS_DIR=str(tmp_path), FETCH_MISSING_MODELS="false")
    assert failed.returncode == 1
    assert "FETCH_MISSING_MODELS is off" in failed.stdout
    assert "cannot run without its detector and calculator" in failed.stderr


def test_wait_for_schema_waits_until_migrations_ran() -> None:
    with fresh_database(migrated=False) as url:
        early = run("wait_for_schema.py", "--timeout", "0", DATABASE_URL=url)
        assert early.returncode == 1
        assert "the schema is at revision None" in early.stderr and "likeness db upgrade" in early.stderr
        upgrade(url)
        current = run("wait_for_schema.py", "--timeout", "0", DATABASE_URL=url)
        assert current.returncode == 0, current.stderr
        assert f"the schema is current ({head()})" in current.stdout


def test_wait_for_schema_names_an_unreachable_database() -> None:
    failed = run("wait_for_schema.py", "--timeout", "0", DATABASE_URL="postgresql://likeness:x@127.0.0.1:1/likeness")
    assert failed.returncode == 1 and "not reachable" in failed.stderr

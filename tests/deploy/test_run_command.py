"""`python -m runner` (what `make run` runs) with the embedded database: SIGTERM stops every part, PostgreSQL
included, and the next start finds the data again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from db.engine import database_url
from runner.platform import free_port
from tests.support.database import create_services
from tests.support.paths import PROJECT_ROOT, lfw_image

RUNNING = "Likeness is running at"


def start(run_dir: Path, port: int) -> subprocess.Popen:
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(PORT=str(port), RUN_DIR=str(run_dir))
    log = run_dir.parent / "runner.log"
    starts_before = log.read_text().count(RUNNING) if log.exists() else 0
    process = subprocess.Popen([sys.executable, "-m", "runner"], cwd=PROJECT_ROOT, env=env, text=True,
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    while log.read_text().count(RUNNING) == starts_before:
        assert process.poll() is None and time.monotonic() < deadline, "the platform did not start"
        time.sleep(0.5)
    return process


def stop(process: subprocess.Popen, run_dir: Path, port: int) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=90) == 0
    assert "Stopped." in (run_dir.parent / "runner.log").read_text()
    assert not (run_dir / "pgdata" / "postmaster.pid").exists(), "PostgreSQL still runs"
    try:
        requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        raise AssertionError("the gateway still answers")
    except requests.ConnectionError:
        pass


def test_sigterm_stops_everything_and_the_next_start_keeps_the_data(tmp_path: Path) -> None:
    run_dir, port = tmp_path / "var", free_port()
    process = start(run_dir, port)
    try:
        key = create_services(database_url(None, run_dir / "pgdata"))["recognition"]
        image = lfw_image("Jacques_Chirac", 1)
        added = requests.post(f"http://127.0.0.1:{port}/api/v1/recognition/faces?subject=Chirac",
                              headers={"x-api-key": key}, files={"file": (image.name, image.read_bytes())}, timeout=60)
        assert added.status_code == 201, added.text
    finally:
        stop(process, run_dir, port)

    process = start(run_dir, port)
    try:
        subjects = requests.get(f"http://127.0.0.1:{port}/api/v1/recognition/subjects", headers={"x-api-key": key},
                                timeout=10)
        assert subjects.json() == {"subjects": ["Chirac"]}
    finally:
        stop(process, run_dir, port)

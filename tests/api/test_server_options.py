"""Start-up options of the api server: AUTH_METHOD, API_BASEPATH, an unreachable core, bad settings."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess, free_port
from tests.support.paths import DATA_DIR, PROJECT_ROOT

FACE = (DATA_DIR / "lfw-dev" / "images" / "Jacques_Chirac" / "Jacques_Chirac_0001.jpg").read_bytes()


def test_public_auth_serves_requests_without_a_key_and_says_so(tmp_path, database_url, core: CoreProcess) -> None:
    server = ApiProcess(tmp_path / "public.log", database_url, core.address, auth_method="public").wait_ready()
    try:
        detected = requests.post(server.url("/api/v1/detection/detect"), files={"file": ("f.jpg", FACE)}, timeout=30)
        assert detected.status_code == 200 and len(detected.json()["result"]) == 1
        added = requests.post(server.url("/api/v1/recognition/faces"), params={"subject": "Public"},
                              files={"file": ("f.jpg", FACE)}, timeout=30)
        assert added.status_code == 201
        assert "Public" in requests.get(server.url("/api/v1/recognition/subjects"), timeout=10).json()["subjects"]
        assert "AUTH_METHOD=public" in server.log_tail(200)
    finally:
        server.stop()


def test_basepath_moves_every_route(tmp_path, database_url, core: CoreProcess, keys) -> None:
    server = ApiProcess(tmp_path / "base.log", database_url, core.address, api_basepath="/rr/cs/").wait_ready()
    try:
        assert server.url("/health").endswith("/rr/cs/health")
        assert requests.get(server.url("/health"), timeout=5).status_code == 200
        assert requests.get(f"{server.base}/health", timeout=5).status_code == 404
        subjects = requests.get(server.url("/api/v1/recognition/subjects"), headers={"x-api-key": keys["recognition"]},
                                timeout=10)
        assert subjects.status_code == 200
        assert requests.get(server.url("/swagger/"), timeout=5).status_code == 200
    finally:
        server.stop()


def test_unreachable_core_gives_a_clear_error_quickly(tmp_path, database_url, keys) -> None:
    dead = f"127.0.0.1:{free_port()}"
    server = ApiProcess(tmp_path / "nocore.log", database_url, dead, core_connect_timeout_ms=1000)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(server):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        ready = requests.get(server.url("/ready"), timeout=10)
        assert ready.status_code == 503 and ready.json()["core"] is False
        started = time.monotonic()
        response = requests.post(server.url("/api/v1/detection/detect"), headers={"x-api-key": keys["detection"]},
                                 files={"file": ("f.jpg", FACE)}, timeout=30)
        assert time.monotonic() - started < 5
        assert response.status_code == 503 and response.json()["code"] == 41
        assert dead in response.json()["message"]
    finally:
        server.stop()


def _healthy(server: ApiProcess) -> bool:
    try:
        return requests.get(server.url("/health"), timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_malformed_setting_stops_the_start() -> None:
    result = subprocess.run([sys.executable, "-c", "from api.app import create_app; create_app()"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "AUTH_METHOD": "open-sesame"})
    assert result.returncode != 0 and "AUTH_METHOD='open-sesame'" in result.stderr

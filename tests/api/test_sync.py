"""Two api servers on one database: writes through one are seen by the other, also across a
PostgreSQL restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR
from tests.support.database import RestartableServer, create_services

LFW = DATA_DIR / "lfw-dev" / "images"


def _photo(name: str, number: int) -> bytes:
    return (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> RestartableServer:
    return RestartableServer(tmp_path_factory.mktemp("pg") / "data")


@pytest.fixture(scope="module")
def sync_keys(postgres: RestartableServer) -> dict[str, str]:
    return create_services(postgres.url, "Sync")


@pytest.fixture(scope="module")
def servers(tmp_path_factory, postgres: RestartableServer, core: CoreProcess, sync_keys) -> Iterator[list[ApiProcess]]:
    logs = tmp_path_factory.mktemp("sync")
    started = [ApiProcess(logs / f"api-{name}.log", postgres.url, core.address) for name in "ab"]
    for server in started:
        server.wait_ready()
    yield started
    for server in started:
        server.stop()


def _recognize(server: ApiProcess, key: str, image: bytes) -> list[dict]:
    response = requests.post(server.url("/api/v1/recognition/recognize"), headers={"x-api-key": key},
                             files={"file": ("p.jpg", image)}, params={"prediction_count": 5}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["result"][0]["subjects"]


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """Seconds until ``check`` holds; fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not seen within {seconds} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_face_added_through_one_is_recognised_through_the_other_within_a_second(servers, sync_keys) -> None:
    first, second = servers
    key = sync_keys["recognition"]
    added = requests.post(first.url("/api/v1/recognition/faces"), headers={"x-api-key": key},
                          params={"subject": "Powell"}, files={"file": ("p.jpg", _photo("Jacques_Chirac", 1))},
                          timeout=30)
    assert added.status_code == 201, added.text
    probe = _photo("Jacques_Chirac", 2)
    seconds = _within(1.0, lambda: any(s["subject"] == "Powell" for s in _recognize(second, key, probe)))
    print(f"\nvisible on the other server after {seconds * 1000:.0f} ms")


def test_rename_and_delete_propagate(servers, sync_keys) -> None:
    first, second = servers
    key = sync_keys["recognition"]
    probe = _photo("Jacques_Chirac", 3)
    requests.put(second.url("/api/v1/recognition/subjects/Powell"), headers={"x-api-key": key},
                 json={"subject": "General Powell"}, timeout=10).raise_for_status()
    _within(1.0, lambda: [s["subject"] for s in _recognize(first, key, probe)] == ["General Powell"])
    requests.delete(first.url("/api/v1/recognition/subjects/General Powell"), headers={"x-api-key": key},
                    timeout=10).raise_for_status()
    _within(1.0, lambda: _recognize(second, key, probe) == [])


def test_both_catch_up_after_postgresql_restarts(servers, sync_keys, postgres: RestartableServer) -> None:
    first, second = servers
    key = sync_keys["recognition"]
    postgres.restart()
    # A write as soon as the database is back: the listeners may still be reconnecting.
    deadline = time.monotonic() + 30
    while True:
        added = requests.post(first.url("/api/v1/recognition/faces"), headers={"x-api-key": key},
                              params={"subject": "Bush"}, files={"file": ("p.jpg", _photo("Gerhard_Schroeder", 1))},
                              timeout=30)
        if added.status_code == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert added.status_code == 201, added.text
    probe = _photo("Gerhard_Schroeder", 2)
    for server in servers:
        _within(10.0, lambda: any(s["subject"] == "Bush" for s in _recognize(server, key, probe)))

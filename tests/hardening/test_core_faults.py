"""Faults of the core (embedding) servers, seen from an api server during streams of recognition requests:
a core killed (with two cores the api server moves to the other; with one, requests fail fast with
code 41 / HTTP 503 and succeed again once it is back), and cores that never answer (a frozen core, a
stalled TCP listener standing in for a core): requests end at the time-outs, not in exhausted workers.

These stay at the api-server level; the gateway's end-to-end kill test is tests/deploy/test_platform.py.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from runner.platform import grpc_serving
from runner.supervisor import Supervised
from tests.hardening import images
from tests.hardening.client import Api, error_of, wait_healthy
from tests.hardening.figures import LONG_RUN, record
from tests.hardening.streams import run_stream, summary
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess, free_port
from tests.support.paths import MODELS_DIR, PROJECT_ROOT

PEOPLE = images.people(20, number=2)
STREAM = 240 if LONG_RUN else 60
CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS = 1000, 2000
CALL_LIMIT_S = (CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS) / 1000  # the api server's deadline of one core call


def _recognize(api: Api, index: int) -> requests.Response:
    name = PEOPLE[index % len(PEOPLE)]
    return api.call("POST", "/api/v1/recognition/recognize", files={"file": ("p.jpg", images.person(name, 2))})


def _enrol(api: Api) -> None:
    """Each person's first photo (once: the servers of this module share one database)."""
    if set(api.collection().subjects) >= set(PEOPLE):
        return
    for name in PEOPLE:
        answer = api.call("POST", "/api/v1/recognition/faces", params={"subject": name},
                          files={"file": ("f.jpg", images.person(name, 1))})
        assert answer.status_code == 201, answer.text


def _named(answer) -> str | None:
    return answer.body["result"][0]["subjects"][0]["subject"] if answer.body else None


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoreProcess]:
    server = CoreProcess(tmp_path_factory.mktemp("victim") / "core.log", warmup_rounds=1).wait_serving()
    yield server
    server.stop()


def test_a_core_killed_during_a_stream_the_api_server_moves_to_the_other(
        tmp_path: Path, database_url: str, keys: dict[str, str], core: CoreProcess,
        victim: CoreProcess) -> None:
    server = ApiProcess(tmp_path / "api.log", database_url, f"{core.address},{victim.address}").wait_ready()
    try:
        api = Api(server.base, keys)
        _enrol(api)
        answers = run_stream(lambda index: _recognize(api, index), STREAM, clients=4,
                             fault=victim.process.kill, fault_after=STREAM // 4)
    finally:
        server.stop()
    record("faults", "core killed, two cores", **summary(answers), killed_after=STREAM // 4)
    assert victim.process.wait(timeout=5) is not None
    wrong = [answer for answer in answers if answer.status != 200 or _named(answer) != PEOPLE[answer.index % len(PEOPLE)]]
    assert wrong == [], wrong[:5]
    assert sum(answer.after_fault for answer in answers) >= STREAM // 2


@pytest.fixture(scope="module")
def lone_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    """The only core server of an api server, run by the platform's supervisor (restarted when it dies)."""
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "PORT": address.rsplit(":", 1)[1], "MODELS_DIR": str(MODELS_DIR),
           "FETCH_MISSING_MODELS": "false", "WARMUP_ROUNDS": "1"}
    process = Supervised("core", [sys.executable, "-m", "core"], env, tmp_path_factory.mktemp("lone") / "core.log",
                         lambda: grpc_serving(address), address, cwd=PROJECT_ROOT)
    process.start()
    try:
        process.wait_healthy(180)
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def lone_api(tmp_path_factory: pytest.TempPathFactory, database_url: str, keys: dict[str, str],
             lone_core: Supervised) -> Iterator[Api]:
    server = ApiProcess(tmp_path_factory.mktemp("lone-api") / "api.log", database_url, lone_core.address,
                        core_connect_timeout_ms=CONNECT_TIMEOUT_MS, core_read_timeout_ms=READ_TIMEOUT_MS)
    server.wait_ready()
    api = Api(server.base, keys)
    _enrol(api)
    yield api
    server.stop()


def test_the_only_core_killed_requests_fail_fast_and_succeed_once_it_is_back(lone_core: Supervised,
                                                                             lone_api: Api) -> None:
    assert all(_recognize(lone_api, index).status_code == 200 for index in range(3))
    restarts = lone_core.restarts
    lone_core.kill()
    killed = time.monotonic()
    answers, back = [], None
    while time.monotonic() - killed < 120:
        started = time.monotonic()
        response = _recognize(lone_api, len(answers))
        answers.append((*error_of(response), time.monotonic() - started))
        if back is None and lone_core.healthy():
            back = time.monotonic()
        if response.status_code == 200 and len(answers) > 1:
            break
    failures = [answer for answer in answers if answer[0] != 200]
    record("faults", "core killed, only core", requests=len(answers), failures=len(failures),
           failure_answers=sorted({f"{status} code {code}" for status, code, _, _ in failures}),
           slowest_failure_s=round(max(seconds for *_, seconds in failures), 2),
           seconds_until_success_again=round(time.monotonic() - killed, 1),
           seconds_from_core_healthy_to_success=None if back is None else round(time.monotonic() - back, 1))
    assert lone_core.restarts == restarts + 1
    assert answers[-1][0] == 200, f"no success within 120 s of the kill: {answers[-3:]}"
    assert failures, "the kill went unnoticed"
    assert all((status, code) == (503, 41) and "core servers" in message for status, code, message, _ in failures)
    assert max(seconds for *_, seconds in failures) < CONNECT_TIMEOUT_MS / 1000 + 1, "failures must be fast"
    assert all(_recognize(lone_api, index).status_code == 200 for index in range(3))


def _storm(api: Api, requests_at_once: int) -> tuple[list[tuple[int, int | None, float]], list[float]]:
    """``requests_at_once`` recognitions at once (more than the api server's 16 threads), and meanwhile
    listings of the subjects (no core needed) one after the other: (status, code, seconds) of each
    recognition, and the seconds of each listing (all must be answered 200)."""

    def recognition(index: int) -> tuple[int, int | None, float]:
        started = time.monotonic()
        status, code, _ = error_of(_recognize(api, index))
        return status, code, time.monotonic() - started

    listings = []
    with ThreadPoolExecutor(requests_at_once) as pool:
        futures = [pool.submit(recognition, index) for index in range(requests_at_once)]
        while not all(future.done() for future in futures):
            started = time.monotonic()
            response = api.call("GET", "/api/v1/recognition/subjects")
            assert response.status_code == 200, response.text
            listings.append(time.monotonic() - started)
            time.sleep(0.1)
        return [future.result() for future in futures], listings


def _timed_out_not_exhausted(topic: str, recognitions: list[tuple[int, int | None, float]],
                             listings: list[float]) -> None:
    """Every recognition ended at the core call's time limit with code 41, and the listings meanwhile
    waited at most for one call to time out (for a thread)."""
    record("faults", topic, recognitions=len(recognitions), listings_meanwhile=len(listings),
           recognition_answers=sorted({f"{status} code {code}" for status, code, _ in recognitions}),
           slowest_recognition_s=round(max(seconds for *_, seconds in recognitions), 2),
           slowest_listing_s=round(max(listings), 2), core_call_limit_s=CALL_LIMIT_S)
    assert {(status, code) for status, code, _ in recognitions} == {(503, 41)}
    # 16 threads: the last 8 recognitions wait for a thread, then for their own core call.
    assert max(seconds for *_, seconds in recognitions) < 2 * CALL_LIMIT_S + 2
    assert listings and max(listings) < CALL_LIMIT_S + 2


def test_a_frozen_core_gives_time_outs_not_exhausted_workers(lone_core: Supervised, lone_api: Api) -> None:
    """SIGSTOP: the core's connections stay open but nothing answers, as with a core stuck in a long call."""
    assert _recognize(lone_api, 0).status_code == 200
    os.kill(lone_core.pid, signal.SIGSTOP)
    try:
        recognitions, listings = _storm(lone_api, 24)
    finally:
        os.kill(lone_core.pid, signal.SIGCONT)
    _timed_out_not_exhausted("frozen core", recognitions, listings)
    assert _recognize(lone_api, 1).status_code == 200


def test_a_core_that_never_answers_gives_time_outs_not_exhausted_workers(tmp_path: Path, database_url: str,
                                                                         keys: dict[str, str]) -> None:
    """A stalled TCP listener stands in for a core server that accepts connections and never speaks."""
    with socket.socket() as stalled:
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(64)
        server = ApiProcess(tmp_path / "api.log", database_url, f"127.0.0.1:{stalled.getsockname()[1]}",
                            core_connect_timeout_ms=CONNECT_TIMEOUT_MS, core_read_timeout_ms=READ_TIMEOUT_MS)
        try:
            wait_healthy(server.base)
            recognitions, listings = _storm(Api(server.base, keys), 24)
        finally:
            server.stop()
    _timed_out_not_exhausted("stalled core listener", recognitions, listings)

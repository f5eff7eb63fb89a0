"""Faults during streams of face additions: PostgreSQL restarted, an api server killed. Every addition
answered 201 must be in the database once (no duplicates) and recognisable on every api server
afterwards. (tests/api/test_sync.py covers a single write right after a restart.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import text

from db.engine import make_engine
from tests.hardening import images
from tests.hardening.client import Api
from tests.hardening.figures import LONG_RUN, record
from tests.hardening.streams import Answer, run_stream, summary
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import RestartableServer, create_services

DURING_RESTART, DURING_KILL = (120, 80) if LONG_RUN else (60, 40)  # additions per stream
CATCH_UP_S = 15  # api servers reload their collections after they reconnect to PostgreSQL
PACE_S = 0.25  # between one client's requests, so that the stream outlasts the fault


@pytest.fixture(scope="module")
def people(core: CoreProcess) -> list[str]:
    """DURING_RESTART + DURING_KILL people whose first photo shows one face (a few LFW photos show two)
    of a quality the enrolment gate accepts (1 % of LFW photos fall below it)."""
    wanted, names = DURING_RESTART + DURING_KILL, []
    for name in images.people(2 * wanted):
        faces = core.process_image(images.person(name), limit=2, face_plugins=["quality"]).faces
        if len(faces) == 1 and faces[0].quality.acceptable:
            names.append(name)
        if len(names) == wanted:
            return names
    raise AssertionError(f"fewer than {wanted} LFW people with one face in their first photo")


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> RestartableServer:
    return RestartableServer(tmp_path_factory.mktemp("pg") / "data")


@pytest.fixture(scope="module")
def key(postgres: RestartableServer) -> str:
    return create_services(postgres.url, "Faults")["recognition"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, postgres: RestartableServer, core: CoreProcess,
            key: str) -> Iterator[list[ApiProcess]]:
    logs = tmp_path_factory.mktemp("collection-faults")
    started = [ApiProcess(logs / f"api-{name}.log", postgres.url, core.address) for name in "ab"]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


def _add(server: ApiProcess, key: str, name: str) -> requests.Response:
    time.sleep(PACE_S)
    return Api(server.base, {"recognition": key}).call(
        "POST", "/api/v1/recognition/faces", params={"subject": name}, files={"file": ("f.jpg", images.person(name))})


def _stored(postgres: RestartableServer) -> list[tuple[str, str]]:
    """(image_id, subject) of every face in the database."""
    engine = make_engine(postgres.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT f.id, s.name FROM faces f JOIN subjects s ON s.id = f.subject_id"))
            return [(str(face_id), name) for face_id, name in rows]
    finally:
        engine.dispose()


def _recognised_everywhere(servers: list[ApiProcess], key: str, names: list[str]) -> list[str]:
    """The names that some api server does not recognise (by the photo they were enrolled with), after
    giving the servers CATCH_UP_S to catch up."""
    deadline = time.monotonic() + CATCH_UP_S
    missing = list(names)
    while missing and time.monotonic() < deadline:
        missing = [name for name in missing for server in servers if not _recognises(server, key, name)]
        missing = list(dict.fromkeys(missing))
    return missing


def _recognises(server: ApiProcess, key: str, name: str) -> bool:
    answer = Api(server.base, {"recognition": key}).call(
        "POST", "/api/v1/recognition/recognize", files={"file": ("p.jpg", images.person(name))})
    subjects = answer.json()["result"][0]["subjects"] if answer.status_code == 200 else []
    return bool(subjects) and subjects[0]["subject"] == name


def _check(topic: str, answers: list[Answer], names: list[str], postgres: RestartableServer,
           servers: list[ApiProcess], key: str, **figures: object) -> None:
    added = {(answer.body["image_id"], answer.body["subject"]) for answer in answers if answer.status == 201}
    stored = [face for face in _stored(postgres) if face[1] in names]
    missing = _recognised_everywhere(servers, key, sorted(name for _, name in added))
    failures = [answer for answer in answers if answer.status != 201]
    record("faults", topic, **summary(answers), **figures, writes_answered_201=len(added),
           writes_checked_in_database=len(added), stored_without_a_201=len(set(stored) - added),
           recognitions_checked=len(added) * len(servers), not_recognised=missing,
           failure_answers=sorted({f"{a.status} code {a.code}: {a.message[:80]}" for a in failures}))
    assert added <= set(stored), f"answered 201 but not stored: {added - set(stored)}"
    assert len(stored) == len({name for _, name in stored}), "a subject was stored twice"
    assert missing == [], f"not recognised on every api server: {missing}"
    assert any(answer.after_fault for answer in answers if answer.status == 201), "no write succeeded after the fault"


def test_postgresql_restarted_during_a_stream_of_additions(postgres: RestartableServer, servers: list[ApiProcess],
                                                           key: str, people: list[str]) -> None:
    names = people[:DURING_RESTART]
    answers = run_stream(lambda index: _add(servers[index % 2], key, names[index]), len(names), clients=2,
                         fault=lambda: postgres.restart(down_seconds=1), fault_after=len(names) // 4)
    _check("postgresql restarted during additions", answers, names, postgres, servers, key, down_seconds=1)
    failures = [answer for answer in answers if answer.status != 201]
    assert all((answer.status, answer.code) == (503, 0) and "database is unavailable" in answer.message
               for answer in failures), [(a.status, a.code, a.message) for a in failures]


def test_an_api_server_killed_during_a_stream_of_additions(tmp_path: Path, postgres: RestartableServer,
                                                           servers: list[ApiProcess], core: CoreProcess,
                                                           key: str, people: list[str]) -> None:
    victim = ApiProcess(tmp_path / "victim.log", postgres.url, core.address).wait_ready()
    names = people[DURING_RESTART:]

    def kill() -> None:  # the gunicorn master and its worker at once, as a crash would
        processes = [psutil.Process(victim.process.pid), *psutil.Process(victim.process.pid).children(recursive=True)]
        for process in processes:
            process.kill()

    try:
        answers = run_stream(lambda index: _add(victim if index % 2 else servers[0], key, names[index]), len(names),
                             clients=2, fault=kill, fault_after=len(names) // 4)
    finally:
        victim.stop()
    _check("api server killed during additions", answers, names, postgres, servers, key)
    lost = [answer for answer in answers if answer.status != 201]
    assert all(answer.status == 0 and answer.index % 2 for answer in lost), lost  # only the victim's, unanswered

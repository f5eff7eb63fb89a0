"""End to end through the gateway with 2 api and 2 core servers started by the code behind `make run`:
enrol and recognise, then kill one core server and one api server during a stream of requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests

from runner.allocator import FIXED_MMAP_THRESHOLD
from runner.platform import LocalPlatform, PlatformOptions, free_port
from tests.support.database import create_services, fresh_database
from tests.support.paths import DATA_DIR, lfw_image

PEOPLE = ["Jacques_Chirac", "Zinedine_Zidane", "Venus_Williams"]
LARGE_UPLOADS = [DATA_DIR / "compreface-samples" / name for name in ("004_A.jpg", "006_A.jpg", "005_A.jpg",
                                                                      "002_A.jpg")]  # 0.45 to 0.77 MB, with faces
MOST_FAILURES_PER_KILL = 4  # requests in flight on the killed process when it dies
FIXED_THRESHOLD_ENTRY = f"GLIBC_TUNABLES={FIXED_MMAP_THRESHOLD}".encode()  # as in /proc/PID/environ


@pytest.fixture(scope="module")
def two_by_two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    with fresh_database() as url:
        options = PlatformOptions(port=free_port(), core_servers=2, api_servers=2, database_url=url,
                                  run_dir=tmp_path_factory.mktemp("two-by-two"), echo=False)
        with LocalPlatform(options) as platform:
            yield platform


@pytest.fixture(scope="module")
def key(two_by_two: LocalPlatform) -> str:
    key = create_services(two_by_two.database_url)["recognition"]
    for person in PEOPLE:
        answer = post(two_by_two, key, f"/api/v1/recognition/faces?subject={person}", lfw_image(person, 1))
        assert answer.status_code == 201, answer.text
    return key


def post(platform: LocalPlatform, key: str, path: str, image: Path) -> requests.Response:
    return requests.post(f"{platform.url}{path}", headers={"x-api-key": key},
                         files={"file": (image.name, image.read_bytes(), "image/jpeg")}, timeout=60)


def recognised_name(platform: LocalPlatform, key: str, image: Path) -> str:
    answer = post(platform, key, "/api/v1/recognition/recognize", image)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"][0]["subjects"][0]["subject"]


def test_every_part_is_up_and_reported_healthy(two_by_two: LocalPlatform) -> None:
    assert set(two_by_two.processes) == {"core-1", "core-2", "api-1", "api-2", "admin", "gateway"}
    health = requests.get(f"{two_by_two.url}/health", timeout=10).json()
    assert health == {"status": "OK", "admin": "OK", "database": "OK", "api": {"servers": 2, "ok": 2}, "core": "OK"}
    for name, process in two_by_two.processes.items():
        if name != "gateway":
            metrics = requests.get(process.metrics_url, timeout=10)
            assert metrics.status_code == 200 and "# TYPE" in metrics.text, name
    assert requests.get(f"{two_by_two.url}/admin/metrics", timeout=10).status_code == 404  # not for the public


def test_the_python_servers_run_with_two_memory_arenas(two_by_two: LocalPlatform) -> None:
    """glibc's arena per thread kept freed image buffers: resident memory crept up under load (bench/soak.py)."""
    for name, process in two_by_two.processes.items():
        if name != "gateway":
            environment = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
            assert b"MALLOC_ARENA_MAX=2" in environment, name


def refused_uploads(platform: LocalPlatform, sizes: list[int]) -> set[int]:
    """The statuses of uploads of ``sizes`` bytes, 8 at a time, that the api refuses before reading them."""

    def upload(size: int) -> int:
        return requests.post(f"{platform.url}/api/v1/recognition/recognize", headers={"x-api-key": "nobody"},
                             data=b"\xff" * size, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(upload, sizes))


def test_nginx_gives_back_the_memory_of_finished_uploads(two_by_two: LocalPlatform) -> None:
    """With glibc's threshold for mapped blocks left to move, nginx kept its largest uploads' buffers in a
    fragmented heap and its memory crept up under load (bench/soak.py). Before any other test uploads to this
    gateway: once grown, a heap that kept its buffers would not grow again for the same uploads."""
    master = psutil.Process(two_by_two.processes["gateway"].pid)
    assert FIXED_THRESHOLD_ENTRY in Path(f"/proc/{master.pid}/environ").read_bytes()

    def workers_rss_mb() -> float:
        return sum(worker.memory_info().rss for worker in master.children()) / 2**20

    before = workers_rss_mb()
    refused_uploads(two_by_two, [900_000 + 10_000 * n for n in range(32)])
    assert workers_rss_mb() - before < 3, "nginx kept the buffers of uploads that ended"


def test_the_api_gives_back_the_memory_of_finished_uploads(two_by_two: LocalPlatform, key: str) -> None:
    """Each upload the api reads is held as a few buffers of its size; with glibc's own threshold they came from a
    heap that kept the largest set ever in flight, and the api's memory crept up under load (bench/soak.py). Before
    any other large upload to these servers, for the same reason as nginx's test."""
    apis = [psutil.Process(two_by_two.processes[name].pid) for name in ("api-1", "api-2")]
    for api in apis:
        assert FIXED_THRESHOLD_ENTRY in Path(f"/proc/{api.pid}/environ").read_bytes()

    def recognise_all(images: list[Path]) -> None:
        with ThreadPoolExecutor(8) as pool:
            answers = pool.map(lambda image: post(two_by_two, key, "/api/v1/recognition/recognize", image), images)
            assert {answer.status_code for answer in answers} == {200}

    def apis_rss_mb() -> float:
        return sum(process.memory_info().rss for api in apis for process in [api, *api.children()]) / 2**20

    recognise_all([lfw_image(PEOPLE[0], 1)] * 16)  # what every request allocates once
    before = apis_rss_mb()
    recognise_all(LARGE_UPLOADS * 8)
    assert apis_rss_mb() - before < 5, "the api servers kept the buffers of uploads that ended"


def test_uploads_refused_before_they_are_read_get_their_answer(two_by_two: LocalPlatform) -> None:
    """The api answered before reading the body and gunicorn closed the connection the gateway was still
    sending on: the gateway set the api servers aside and answered 503, to these clients and to others."""
    assert refused_uploads(two_by_two, [900_000 + 10_000 * n for n in range(32)]) == {400}
    assert refused_uploads(two_by_two, [1_000]) == {400}  # not 503: no server was set aside


def test_faces_enrolled_through_the_gateway_are_recognised_by_every_api_server(two_by_two: LocalPlatform,
                                                                               key: str) -> None:
    for person in PEOPLE:
        assert recognised_name(two_by_two, key, lfw_image(person, 2)) == person
    for name in ("api-1", "api-2"):
        address = two_by_two.processes[name].address
        answer = requests.get(f"http://{address}/api/v1/recognition/subjects", headers={"x-api-key": key}, timeout=10)
        assert sorted(answer.json()["subjects"]) == sorted(PEOPLE), name


def test_the_gateway_spreads_requests_over_every_api_server(two_by_two: LocalPlatform, key: str) -> None:
    for _ in range(6):
        requests.get(f"{two_by_two.url}/api/v1/recognition/subjects", headers={"x-api-key": key}, timeout=10)
    log_lines = two_by_two.processes["gateway"].log_path.read_text().splitlines()
    upstreams = {json.loads(line)["upstream"] for line in log_lines
                 if line.startswith("{") and "/api/v1/recognition/subjects" in line}
    assert upstreams == {two_by_two.processes[name].address for name in ("api-1", "api-2")}


class RequestStream:
    """Clients recognising a face through the gateway without pause; records each answer's status in order."""

    def __init__(self, platform: LocalPlatform, key: str, clients: int = 2) -> None:
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._image = lfw_image(PEOPLE[0], 3)
        self._threads = [threading.Thread(target=self._run, args=(platform, key)) for _ in range(clients)]

    def __enter__(self) -> "RequestStream":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, platform: LocalPlatform, key: str) -> None:
        while not self._stop.is_set():
            try:
                status = post(platform, key, "/api/v1/recognition/recognize", self._image).status_code
            except requests.RequestException:
                status = 0
            with self._lock:
                self.statuses.append(status)

    def answered_since(self, count: int) -> list[int]:
        with self._lock:
            return self.statuses[count:]

    def wait_for(self, successes: int, timeout: float = 60) -> None:
        start = len(self.statuses)
        deadline = time.monotonic() + timeout
        while sum(status == 200 for status in self.answered_since(start)) < successes:
            assert time.monotonic() < deadline, f"fewer than {successes} successes in {timeout} s"
            time.sleep(0.1)


@pytest.mark.parametrize("victim", ["core-1", "api-1"])
def test_a_killed_server_costs_a_few_requests_and_comes_back(two_by_two: LocalPlatform, key: str,
                                                             victim: str) -> None:
    process = two_by_two.processes[victim]
    restarts = process.restarts
    with RequestStream(two_by_two, key) as stream:
        stream.wait_for(successes=5)
        before_kill = len(stream.statuses)
        process.kill()
        stream.wait_for(successes=20)
        process.wait_healthy(timeout=120)
        assert process.restarts == restarts + 1
        stream.wait_for(successes=10)
        after_kill = stream.answered_since(before_kill)
    failures = [status for status in after_kill if status != 200]
    assert len(failures) <= MOST_FAILURES_PER_KILL, f"{len(failures)} failed requests: {failures}"
    assert set(failures) <= {503}, "a failed request must get the gateway's or api's 'unavailable' answer"
    assert after_kill[-10:] == [200] * 10
    health = requests.get(f"{two_by_two.url}/health", timeout=10).json()
    assert health["status"] == "OK", health

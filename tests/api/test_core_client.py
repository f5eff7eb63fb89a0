"""CoreClient against real core servers over real gRPC: spreading, failover, DNS names, failures."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest

from common.core_client import CoreClient, grpc_target
from common.errors import ApiError
from proto import core_pb2
from tests.support.core_process import CoreProcess, free_port
from tests.support.paths import DATA_DIR

SAMPLES = DATA_DIR / "compreface-samples"
GROUP_PHOTO = DATA_DIR / "group-photos" / "insightface_t1.jpg"  # 6 faces


@pytest.fixture(scope="module")
def cores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[CoreProcess]]:
    """Four servers started together: 0 and 1 stay up, 2 and 3 are stopped by the tests that use them.

    Each has its own response cache, so a server computes an image once and then answers it from
    its cache: the number of computed answers to one image tells how many servers got it.
    """
    logs = tmp_path_factory.mktemp("cores")
    servers = [CoreProcess(logs / f"core{i}.log", enable_response_caching=True,
                           response_cache_dir=logs / f"cache{i}", warmup_rounds=1) for i in range(4)]
    try:
        for server in servers:
            server.wait_serving()
        yield servers
    finally:
        for server in servers:
            server.stop()


def computed(answers: list[core_pb2.ProcessImageResponse]) -> int:
    return sum(answer.cache == "" for answer in answers)


def test_targets() -> None:
    assert grpc_target("10.0.0.1:50051, 10.0.0.2:50051") == "ipv4:10.0.0.1:50051,10.0.0.2:50051"
    assert grpc_target("10.0.0.1:50051") == "ipv4:10.0.0.1:50051"
    assert grpc_target("core:50051") == "dns:///core:50051"
    assert grpc_target("localhost:1,localhost:2") == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert grpc_target("[::1]:1,10.0.0.1:2") == "ipv6:[::1]:1,[::ffff:a00:1]:2"
    for bad in ("", "core", "core:http", "core:0", "nowhere.invalid:1,core2:2"):
        with pytest.raises(ValueError, match="PYTHON_URL"):
            grpc_target(bad)


def test_calls_are_spread_over_the_servers_of_a_list(cores: list[CoreProcess]) -> None:
    first, second = cores[0], cores[1]
    image = GROUP_PHOTO.read_bytes()
    with CoreClient(f"{first.address}, {second.address}", 2, 60) as client:
        answers = [client.process_image(image) for _ in range(20)]
    assert all(len(answer.faces) == 6 for answer in answers)
    assert computed(answers) == 2  # computed once by each server; pick_first would give 1


def test_a_dns_name_and_a_server_that_is_down(cores: list[CoreProcess]) -> None:
    image = (SAMPLES / "007_B.jpg").read_bytes()
    with CoreClient(f"localhost:{cores[0].port}", 2, 60) as client:
        assert client.target == f"dns:///localhost:{cores[0].port}"
        assert client.ready()
        answer = client.process_image(image, face_plugins=["calculator"])
        assert len(answer.faces) == 1
        assert len(answer.faces[0].embedding) == client.status().embedding_size
    with CoreClient(f"127.0.0.1:{free_port()},{cores[0].address}", 2, 60) as client:
        started = time.monotonic()
        assert all(len(client.process_image(image).faces) == 1 for _ in range(10))
        assert time.monotonic() - started < 5


def test_killing_one_of_two_servers_during_a_stream(cores: list[CoreProcess]) -> None:
    survivor, victim = cores[0], cores[2]
    probe = (SAMPLES / "008_B.jpg").read_bytes()
    images = [path.read_bytes() for path in sorted((DATA_DIR / "lfw-dev" / "images").glob("*/*_0001.jpg"))[:30]]
    with CoreClient(f"{survivor.address},{victim.address}", 2, 60) as client:
        assert computed([client.process_image(probe) for _ in range(8)]) == 2  # both are in the rotation

        def call(image: bytes) -> ApiError | None:
            try:
                client.process_image(image)
            except ApiError as error:
                return error
            return None

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(call, image) for image in images]
            for done, _ in enumerate(as_completed(futures), start=1):
                if done == 10:
                    victim.process.kill()
        failures = [future.result() for future in futures if future.result() is not None]
    assert victim.process.wait(timeout=5) is not None
    # Without the retry policy about 4 of these calls fail ("Stream removed"): those in flight on the victim.
    assert failures == [], [failure.message for failure in failures]


def test_status_is_cached(cores: list[CoreProcess]) -> None:
    server = cores[3]
    with CoreClient(server.address, 1, 30) as cached, CoreClient(server.address, 1, 30, status_cache_s=0) as uncached:
        status = cached.status()
        assert status == server.stub.GetStatus(core_pb2.StatusRequest(), timeout=10)
        assert status.similarity_c0 > 0 and status.similarity_c1 > 0 and status.embedding_size > 0
        assert uncached.status() == status
        server.stop()
        assert not cached.ready()
        started = time.monotonic()
        assert cached.status() is status
        assert time.monotonic() - started < 0.1
        with pytest.raises(ApiError) as caught:
            uncached.status()
        assert caught.value.code == 41


def test_an_image_the_core_cannot_use(cores: list[CoreProcess]) -> None:
    with CoreClient(f"{cores[0].address},{cores[1].address}", 2, 60) as client:
        with pytest.raises(ApiError) as caught:
            client.process_image(b"not an image")
        assert (caught.value.code, caught.value.status) == (28, 400)
        assert "incorrect format" in caught.value.message
        with pytest.raises(ApiError) as caught:
            client.process_image(GROUP_PHOTO.read_bytes(), det_prob_threshold=2)
        assert caught.value.code == 28 and "threshold" in caught.value.message


def test_all_servers_down_fails_fast() -> None:
    addresses = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    with CoreClient(",".join(addresses), 1, 60) as client:
        started = time.monotonic()
        with pytest.raises(ApiError) as caught:
            client.process_image(GROUP_PHOTO.read_bytes())
        assert time.monotonic() - started < 5
        assert (caught.value.code, caught.value.status) == (41, 503)
        assert all(address in caught.value.message for address in addresses)
        assert not client.ready()


def test_a_server_that_never_answers_fails_within_the_connect_timeout() -> None:
    with socket.socket() as silent:  # accepts TCP connections, never speaks HTTP/2
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with CoreClient(f"127.0.0.1:{silent.getsockname()[1]}", 1, 60) as client:
            started = time.monotonic()
            with pytest.raises(ApiError) as caught:
                client.process_image(GROUP_PHOTO.read_bytes())
            assert time.monotonic() - started < 4
            assert caught.value.code == 41

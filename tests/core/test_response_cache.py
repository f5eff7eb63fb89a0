"""The response cache of real core processes: hits, eviction, a second layer shared by two servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

LFW_IMAGES = sorted((DATA_DIR / "lfw-dev" / "images").glob("B*/*_0001.jpg"))


@pytest.fixture
def servers(tmp_path) -> Iterator[list[CoreProcess]]:
    started: list[CoreProcess] = []
    yield started
    for server in started:
        server.stop()


def _cached_server(servers: list[CoreProcess], tmp_path, name: str, **settings: object) -> CoreProcess:
    server = CoreProcess(tmp_path / f"{name}.log", enable_response_caching=True,
                         response_cache_dir=tmp_path / f"{name}-cache", **settings)
    servers.append(server)
    return server


def test_hit_returns_identical_result(servers, tmp_path) -> None:
    server = _cached_server(servers, tmp_path, "a").wait_serving()
    image = (DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes()
    first = server.process_image(image, face_plugins=["calculator", "age"])
    second = server.process_image(image, face_plugins=["age", "calculator"])
    assert first.cache == "" and second.cache in ("memory", "disk")
    second.cache = ""
    assert second == first
    other_parameters = server.process_image(image, face_plugins=["calculator"], limit=2)
    assert other_parameters.cache == "" and len(other_parameters.faces) == 2


def test_eviction_keeps_the_disk_cache_under_its_limit(servers, tmp_path) -> None:
    limit = 256 * 1024
    server = _cached_server(servers, tmp_path, "small", cache_responses_size_limit_bytes=limit,
                            memory_in_megabytes=16).wait_serving()
    for path in LFW_IMAGES[:60]:
        server.process_image(path.read_bytes(), face_plugins=["calculator", "landmarks2d106"])
    # SQLite's write-ahead log (checkpointed at about 4 MB) comes on top of the limit while running.
    files = [f for f in (tmp_path / "small-cache").rglob("*") if f.is_file() and not f.name.endswith(("-wal", "-shm"))]
    size = sum(f.stat().st_size for f in files)
    assert size <= limit, f"{size} bytes on disk for a {limit}-byte cache"
    again = server.process_image(LFW_IMAGES[59].read_bytes(), face_plugins=["calculator", "landmarks2d106"])
    assert again.cache in ("memory", "disk")


def test_two_servers_share_the_second_layer(servers, tmp_path) -> None:
    shared = {"enable_second_layer_response_cache": True, "second_layer_response_cache_dir": tmp_path / "shared"}
    first = _cached_server(servers, tmp_path, "first", **shared)
    second = _cached_server(servers, tmp_path, "second", **shared)
    first.wait_serving()
    second.wait_serving()
    image = LFW_IMAGES[0].read_bytes()
    computed = first.process_image(image, face_plugins=["calculator"])
    from_shared = second.process_image(image, face_plugins=["calculator"])
    assert computed.cache == "" and from_shared.cache == "shared"
    assert list(from_shared.faces[0].embedding) == list(computed.faces[0].embedding)
    assert second.process_image(image, face_plugins=["calculator"]).cache in ("memory", "disk")
    other = LFW_IMAGES[1].read_bytes()
    assert second.process_image(other, face_plugins=["calculator"]).cache == ""
    assert first.process_image(other, face_plugins=["calculator"]).cache == "shared"

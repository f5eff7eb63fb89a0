"""/metrics of the api (two gunicorn workers), admin and core servers, as Prometheus scrapes them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
import requests
from prometheus_client import REGISTRY

from core.cache import LAYERS, ResponseCache
from tests.ops.observe import Metrics, json_records
from tests.support.admin_process import AdminProcess
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

ONE_FACE = (DATA_DIR / "compreface-samples" / "001_A.jpg").read_bytes()
PROCESS_IMAGE = "likeness.core.v1.FaceService/ProcessImage"


def _get_config(api: ApiProcess) -> int:
    return requests.get(api.url("/api/v1/config"), timeout=10).status_code


def test_api_requests_served_by_both_workers_add_up(api: ApiProcess) -> None:
    before = Metrics(api.url("/metrics"))
    sent, workers = 0, set()
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(8) as pool:
        while len(workers) < 2:  # until both workers have answered some of them
            assert time.monotonic() < deadline, f"{sent} requests all went to worker {workers}"
            assert list(pool.map(lambda _: _get_config(api), range(16))) == [200] * 16
            sent += 16
            workers = {record["pid"] for record in json_records(api.log_path)
                       if record["logger"] == "api.access" and record.get("endpoint") == "/api/v1/config"}
    after = Metrics(api.url("/metrics"))
    for name, labels in (("likeness_api_http_requests_total", {"status": "200"}),
                         ("likeness_api_http_request_duration_seconds_count", {})):
        labels.update(endpoint="/api/v1/config", method="GET")
        assert after.value(name, **labels) - before.value(name, **labels) == sent, name


def test_api_reports_faces_per_index_and_core_call_latency(api: ApiProcess, keys: dict[str, str]) -> None:
    before = Metrics(api.url("/metrics")).value("likeness_api_index_faces")
    answer = requests.post(api.url("/api/v1/recognition/faces"), params={"subject": "Metrics"},
                           headers={"x-api-key": keys["recognition"]}, files={"file": ("a.jpg", ONE_FACE)}, timeout=60)
    assert answer.status_code == 201, answer.text
    # Either worker may answer the scrape; the other one learns of the face through the database.
    deadline = time.monotonic() + 10
    while (metrics := Metrics(api.url("/metrics"))).value("likeness_api_index_faces") != before + 1:
        assert time.monotonic() < deadline, "the new face never showed in likeness_api_index_faces"
        time.sleep(0.1)
    assert metrics.value("likeness_api_core_call_duration_seconds_count", method="ProcessImage", code="OK") >= 1
    assert metrics.value("likeness_api_http_requests_total", endpoint="/api/v1/recognition/faces", method="POST",
                         status="201") == 1


def test_admin_counts_requests_by_route_and_status(admin: AdminProcess) -> None:
    before = Metrics(admin.url("/metrics"))
    assert requests.get(admin.url("/apps"), timeout=10).status_code == 401
    assert requests.get(admin.url("/no/such/page"), timeout=10).status_code == 404
    for _ in range(3):
        assert requests.get(admin.url("/health"), timeout=10).status_code == 200
    after = Metrics(admin.url("/metrics"))

    def added(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert added("likeness_admin_http_requests_total", endpoint="/admin/apps", method="GET", status="401") == 1
    assert added("likeness_admin_http_requests_total", endpoint="<unmatched>", status="404") == 1
    assert added("likeness_admin_http_requests_total", endpoint="/admin/health", status="200") == 3
    assert added("likeness_admin_http_request_duration_seconds_count", endpoint="/admin/health") == 3
    assert not any("no/such" in value for sample in after.samples for value in sample.labels.values())


def test_core_counts_calls_faces_and_embedding_batches(core: CoreProcess) -> None:
    before = Metrics(core.metrics_url)
    assert len(core.process_image(ONE_FACE, face_plugins=["calculator"]).faces) == 1
    with pytest.raises(grpc.RpcError) as refused:
        core.process_image(b"not an image")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    after = Metrics(core.metrics_url)

    def added(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert added("likeness_core_grpc_requests_total", method=PROCESS_IMAGE, code="OK") == 1
    assert added("likeness_core_grpc_requests_total", method=PROCESS_IMAGE, code="INVALID_ARGUMENT") == 1
    assert added("likeness_core_grpc_request_duration_seconds_count", method=PROCESS_IMAGE) == 2
    assert added("likeness_core_faces_per_image_count") == 1 and added("likeness_core_faces_per_image_sum") == 1
    # The session's core server batches embeddings: the face went through the batcher's queue.
    assert added("likeness_core_embedding_batch_size_count") == 1 and added("likeness_core_embedding_batch_size_sum") == 1
    assert added("likeness_core_embedding_queue_seconds_count") == 1
    assert "process_cpu_seconds_total" in after.names()


def test_response_cache_counts_hits_and_misses_per_layer(tmp_path: Path) -> None:
    def counts() -> dict[tuple[str, str], float]:
        return {(layer, result): REGISTRY.get_sample_value("likeness_core_response_cache_lookups_total",
                                                           {"layer": layer, "result": result}) or 0.0
                for layer in LAYERS for result in ("hit", "miss")}

    before = counts()
    first = ResponseCache(1 << 20, tmp_path / "disk-1", 1 << 20, tmp_path / "shared", 1 << 20)
    second = ResponseCache(1 << 20, tmp_path / "disk-2", 1 << 20, tmp_path / "shared", 1 << 20)  # a neighbour
    try:
        assert first.get("key") is None
        first.put("key", b"answer")
        assert first.get("key") == (b"answer", "memory")
        assert second.get("key") == (b"answer", "shared")
    finally:
        first.close()
        second.close()
    added = {lookup: count - before[lookup] for lookup, count in counts().items()}
    assert added == {("memory", "hit"): 1, ("memory", "miss"): 2, ("disk", "hit"): 0, ("disk", "miss"): 2,
                     ("shared", "hit"): 1, ("shared", "miss"): 1}

"""End-to-end load through the gateway: recognise, detect and verify at increasing client concurrency.

At each concurrency N, N client threads (one keep-alive HTTP connection each) send the same request
back to back for a fixed time, after a short warm-up; every answer other than 200 counts as an error.
Throughput is answers per second over that time; latencies are the client's, so they include the
gateway. Where the time goes comes from ``status=true`` answers at concurrency 1: the api's own
timings (core steps, search, total) and the client's latency around them. Memory (RSS) of every
process is taken at rest and sampled while the load runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import requests

from bench.deployment import Deployment
from bench.lfw import images_by_identity, read_image
from bench.memory import PeakSampler, snapshot
from bench.stats import latency_summary
from tests.support.paths import DATA_DIR

CONCURRENCY = (1, 2, 4, 8, 16, 32)
QUICK_CONCURRENCY = (1, 2)
DURATION_S, QUICK_DURATION_S = 5.0, 1.0
WARM_UP_REQUESTS = 3
BREAKDOWN_SAMPLES, QUICK_BREAKDOWN_SAMPLES = 20, 3
COLLECTION_FACES = 100
PORTRAIT = DATA_DIR / "compreface-samples" / "007_B.jpg"
SAME_PERSON = DATA_DIR / "compreface-samples" / "008_B.jpg"


@dataclass(frozen=True)
class Endpoint:
    path: str
    service: str
    files: Callable[[], dict[str, tuple[str, bytes]]]


def _portrait() -> dict[str, tuple[str, bytes]]:
    return {"file": (PORTRAIT.name, PORTRAIT.read_bytes())}


def _pair() -> dict[str, tuple[str, bytes]]:
    return {"source_image": (PORTRAIT.name, PORTRAIT.read_bytes()),
            "target_image": (SAME_PERSON.name, SAME_PERSON.read_bytes())}


ENDPOINTS = {
    "recognize": Endpoint("/api/v1/recognition/recognize", "recognition", _portrait),
    "detect": Endpoint("/api/v1/detection/detect", "detection", _portrait),
    "verify": Endpoint("/api/v1/verification/verify", "verification", _pair),
}
IMAGES = {"recognize": PORTRAIT.name, "detect": PORTRAIT.name, "verify": f"{PORTRAIT.name} vs {SAME_PERSON.name}"}


def collection_size(deployment: Deployment) -> int:
    with deployment.session() as session:
        answer = session.get(f"{deployment.url}/api/v1/recognition/faces", params={"size": 1}, timeout=30,
                             headers={"x-api-key": deployment.keys["recognition"]})
    answer.raise_for_status()
    return int(answer.json()["total_elements"])


def ensure_collection(deployment: Deployment, faces: int) -> int:
    """Enrols the first image of the first identities until the recognition service holds ``faces``
    faces (when it holds fewer); returns the collection's size."""
    missing = faces - collection_size(deployment)
    with deployment.session() as session:
        for name, paths in images_by_identity().items():
            if missing <= 0:
                break
            added = deployment.post(session, "/api/v1/recognition/faces", "recognition", params={"subject": name},
                                    files={"file": ("face.jpg", read_image(paths[0]))})
            missing -= added.status_code == 201
    return collection_size(deployment)


def run_level(deployment: Deployment, endpoint: Endpoint, concurrency: int, duration: float) -> dict[str, object]:
    """N clients send the endpoint's request back to back for ``duration`` seconds."""
    files = endpoint.files()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = [0.0]
    # Set once every client has warmed up, before any is released.
    start = threading.Barrier(concurrency + 1, action=lambda: deadline.__setitem__(0, time.perf_counter() + duration))

    def client() -> None:
        with deployment.session(1) as session:
            for _ in range(WARM_UP_REQUESTS):
                deployment.post(session, endpoint.path, endpoint.service, files=files)
            start.wait()
            while time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                try:
                    status = deployment.post(session, endpoint.path, endpoint.service, files=files).status_code
                except requests.RequestException as error:
                    status = type(error).__name__
                with lock:
                    if status == 200:
                        latencies.append(time.perf_counter() - began)
                    else:
                        errors.append(str(status))

    threads = [threading.Thread(target=client, name=f"client-{number}") for number in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = deadline[0] - duration
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"concurrency": concurrency, "requests": len(latencies) + len(errors), "seconds": round(elapsed, 2),
            "rps": round(len(latencies) / elapsed, 2), **latency_summary(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors))}


def breakdown(deployment: Deployment, endpoint: Endpoint, samples: int) -> dict[str, float]:
    """Mean milliseconds per step at concurrency 1, from ``status=true`` answers: core steps (decode,
    detector, align, calculator), search, the api's own work (gRPC, JSON; total less core and search)
    and HTTP (client latency less the api's total: gateway, connection, upload). A verification
    reports the core steps of its target image only; the source image's go with the api's share."""
    files = endpoint.files()
    steps: dict[str, list[float]] = {}
    with deployment.session(1) as session:
        for _ in range(samples):
            began = time.perf_counter()
            answer = deployment.post(session, endpoint.path, endpoint.service, params={"status": "true"}, files=files)
            client_ms = (time.perf_counter() - began) * 1000
            answer.raise_for_status()
            body = answer.json()
            two_images = endpoint.service == "verification"  # the api reports the target image's core steps
            timings = body["result"][0]["timings"] if two_images else body["timings"]
            core = timings["core"]
            prefix = "core (target)" if two_images else "core"
            row = {f"{prefix} {step}": ms for step, ms in core.items() if step != "total"}
            if "search" in timings:
                row["search"] = timings["search"]
            other = timings["total"] - core["total"] - timings.get("search", 0.0)
            row["source image and api" if two_images else "api (gRPC, JSON, other)"] = other
            row.update({"http and gateway": client_ms - timings["total"], "api total": timings["total"],
                        "client latency": client_ms})
            for step, ms in row.items():
                steps.setdefault(step, []).append(ms)
    return {step: round(float(np.mean(values)), 2) for step, values in steps.items()}


def measure(deployment: Deployment, levels: Sequence[int], duration: float, samples: int) -> dict[str, object]:
    """Every endpoint at every level, the timing breakdown, and memory at rest and under load."""
    faces = ensure_collection(deployment, COLLECTION_FACES)
    at_rest = snapshot(deployment.platform)
    endpoints: dict[str, dict[str, object]] = {}
    with PeakSampler(deployment.platform) as sampler:
        for name, endpoint in ENDPOINTS.items():
            endpoints[name] = {}
            for concurrency in levels:
                endpoints[name][str(concurrency)] = row = run_level(deployment, endpoint, concurrency, duration)
                print(f"{name:<9} concurrency {concurrency:>2}: {row['rps']:7.2f} rps  p50 {row['p50_ms']:7.1f} ms  "
                      f"p95 {row['p95_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}", flush=True)
    return {
        "core_servers": len([name for name in deployment.platform.processes if name.startswith("core-")]),
        "collection_faces": faces,
        "endpoints": endpoints,
        "breakdown_ms": {name: breakdown(deployment, endpoint, samples) for name, endpoint in ENDPOINTS.items()},
        "memory_mb": {"at_rest": at_rest, "under_load_peak": sampler.peaks},
    }


def describe(levels: Sequence[int], duration: float) -> dict[str, object]:
    """How the load was measured, for load.json."""
    return {"concurrency_levels": list(levels), "duration_s": duration,
            "warm_up_requests_per_client": WARM_UP_REQUESTS, "images": IMAGES,
            "image_bytes": {Path(path).name: path.stat().st_size for path in (PORTRAIT, SAME_PERSON)},
            "method": __doc__.split("\n\n")[1].replace("\n", " ")}

"""How long a face added through one api server takes to be searchable on another.

Starts PostgreSQL (embedded), a core server and two api servers; adds faces of distinct LFW
people through the first and polls the second (embedding search, no core call) until each is its
best match. The latency counts from the add's answer to the first poll that sees it.

    python -m bench.sync_bench [--faces N]

Prints the figures; bench.collections_bench stores them in collections.json as ``sync_p99_ms``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR
from tests.support.database import RestartableServer, create_services

TIMEOUT_S = 10.0


def _single_face_photos(count: int) -> list[bytes]:
    """The first photo of each of ``count`` different people."""
    people = sorted((DATA_DIR / "lfw-dev" / "images").iterdir())
    return [sorted(person.glob("*.jpg"))[0].read_bytes() for person in people[:count * 2]]


def measure_sync_latency(faces: int = 50) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="likeness-sync-bench-"))
    postgres = RestartableServer(work / "pgdata")
    keys = create_services(postgres.url, "SyncBench")
    core = CoreProcess(work / "core.log").wait_serving()
    writer = ApiProcess(work / "api-a.log", postgres.url, core.address).wait_ready()
    reader = ApiProcess(work / "api-b.log", postgres.url, core.address).wait_ready()
    headers = {"x-api-key": keys["recognition"]}
    latencies = []
    try:
        for number, photo in enumerate(_single_face_photos(faces)):
            if len(latencies) == faces:
                break
            subject = f"person-{number}"
            embedding = _embedding(writer, keys["detection"], photo)
            if embedding is None:
                continue
            added = requests.post(writer.url("/api/v1/recognition/faces"), headers=headers, timeout=30,
                                  params={"subject": subject, "det_prob_threshold": 0.7},
                                  files={"file": ("p.jpg", photo)})
            answered = time.perf_counter()
            if added.status_code != 201:  # several faces: not this photo
                continue
            while True:
                found = requests.post(reader.url("/api/v1/recognition/embeddings/recognize"), headers=headers,
                                      json={"embeddings": [embedding]}, timeout=10).json()
                similarities = found["result"][0]["similarities"]
                if similarities and similarities[0]["subject"] == subject:
                    break
                if time.perf_counter() - answered > TIMEOUT_S:
                    raise TimeoutError(f"{subject} not visible on the second server after {TIMEOUT_S} s")
            latencies.append((time.perf_counter() - answered) * 1000)
    finally:
        for process in (reader, writer, core):
            process.stop()
    values = np.array(latencies)
    return {"sync_samples": len(values), "sync_p50_ms": round(float(np.percentile(values, 50)), 2),
            "sync_p99_ms": round(float(np.percentile(values, 99)), 2),
            "sync_max_ms": round(float(values.max()), 2)}


def _embedding(api: ApiProcess, detection_key: str, photo: bytes) -> list[float] | None:
    """The photo's embedding (None without a face), computed before the add so that polls cost no
    core call."""
    detected = requests.post(api.url("/api/v1/detection/detect"), headers={"x-api-key": detection_key},
                             params={"face_plugins": "calculator", "limit": 1, "det_prob_threshold": 0.7},
                             files={"file": ("p.jpg", photo)}, timeout=30)
    return detected.json()["result"][0]["embedding"] if detected.status_code == 200 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=50)
    print(json.dumps(measure_sync_latency(parser.parse_args().faces), indent=2))


if __name__ == "__main__":
    main()

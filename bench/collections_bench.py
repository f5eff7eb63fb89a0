"""Load time, search latency, recall and memory of the face index (api/face_index.py) per collection size.

    .venv/bin/python -m bench.collections_bench [--quick] [--sizes 10000,100000,1000000] [--kind ivf|hnsw]

For each size, one service's collection of synthetic 512-d embeddings: identities whose centres are
uniform on the sphere (the hardest case for an IVF index: no cluster structure to exploit), each
with 3 to 5 noisy examples (cosine ~0.86 to the centre). The collection is loaded the way an api
server loads it (api/indexes.py): one ``FaceIndex.add`` call with the whole collection, with the
api's default threshold of 50,000 faces for exact search. Queries are noisy copies of random stored
faces (cosine ~0.86 to the original); each is searched alone (k=1) and timed; recall@1 compares
its best face with the exact best one (``subject_recall_at_1``: their subjects). ``bytes_per_face``
is the index's own account; ``rss_bytes_per_face`` the growth of the process's resident memory
during the load, as a cross-check.

Writes collections.json to bench/results or --out (--quick: 10k and 100k faces, 200 queries, into a
temporary folder unless --out is given; collections.hnsw.json with --kind hnsw). ``sync_p99_ms`` comes from
bench.sync_bench: two api servers on one database, from a face's 201 on one to being searchable
on the other (fewer faces with --quick).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from api.face_index import FaceIndex
from bench.machine import machine_info
from bench.output import results_dir, write_json
from bench.sync_bench import measure_sync_latency

SYNC_FACES = 100
QUICK_SYNC_FACES = 10
DIMENSION = 512
EXACT_MAX_FACES = 50_000
GENERATION_CHUNK = 100_000
EXAMPLE_NOISE = 0.6
QUERY_NOISE = 0.6
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
QUERIES, QUICK_QUERIES = 1000, 200
METHOD = (f"synthetic {DIMENSION}-d embeddings: identities uniform on the sphere with 3-5 examples each (cosine "
          "~0.86 to the centre); loaded by one FaceIndex.add call, as api/indexes.py does; one query at a time "
          "(k=1), a noisy copy (cosine ~0.86) of a random stored face; recall@1 against exact search; after 20 "
          "warm-up queries")
TARGETS_AT_1M = {"search_p50_ms": 10, "recall_at_1": 0.99, "load_seconds": 30}


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def noisy(vectors: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at cosine ~1/sqrt(1 + noise^2) from ``vectors``."""
    scale = noise / np.sqrt(vectors.shape[1])
    return normalised(vectors + rng.standard_normal(vectors.shape, dtype=np.float32) * scale)


def make_collection(size: int, rng: np.random.Generator) -> tuple[list[str], list[str], np.ndarray]:
    """Face ids, subjects and embeddings: identities with 3 to 5 noisy examples each."""
    per_identity = rng.integers(3, 6, size // 3 + 1)
    identity_of_face = np.repeat(np.arange(len(per_identity)), per_identity)[:size]
    centres = normalised(rng.standard_normal((identity_of_face[-1] + 1, DIMENSION), dtype=np.float32))
    embeddings = np.empty((size, DIMENSION), np.float32)
    for start in range(0, size, GENERATION_CHUNK):
        batch = identity_of_face[start:start + GENERATION_CHUNK]
        embeddings[start:start + len(batch)] = noisy(centres[batch], EXAMPLE_NOISE, rng)
    face_ids = [str(uuid.UUID(int=int(value))) for value in rng.integers(0, 2**63, size)]
    return face_ids, [f"person-{identity}" for identity in identity_of_face], embeddings


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(size: int, queries: int, kind: str, rng: np.random.Generator) -> dict[str, object]:
    """Loads one collection of ``size`` faces and measures it."""
    face_ids, subjects, embeddings = make_collection(size, rng)
    query_vectors = noisy(embeddings[rng.integers(0, size, queries)], QUERY_NOISE, rng)
    gc.collect()
    rss_before = resident_bytes()
    index = FaceIndex(DIMENSION, EXACT_MAX_FACES, kind)
    started = time.perf_counter()
    index.add(face_ids, subjects, embeddings)
    load_seconds = time.perf_counter() - started
    rss_growth = resident_bytes() - rss_before
    exact = faiss.IndexFlatIP(DIMENSION)
    exact.add(embeddings)
    expected = exact.search(query_vectors, 1)[1][:, 0]
    del exact

    for vector in query_vectors[:20]:
        index.search(vector[None], 1)
    latencies, found = [], []
    for vector in query_vectors:
        started = time.perf_counter()
        matches = index.search(vector[None], 1)
        latencies.append(time.perf_counter() - started)
        found.append(matches[0][0][:2])
    return {
        "faces": size,
        "kind": index.kind,
        "parameters": index.parameters,
        "load_seconds": round(load_seconds, 2),
        "search_p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 3),
        "search_p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 3),
        "recall_at_1": float(np.mean([face == face_ids[best] for (face, _), best in zip(found, expected)])),
        "subject_recall_at_1": float(np.mean([name == subjects[best] for (_, name), best in zip(found, expected)])),
        "bytes_per_face": round(index.bytes_per_face, 1),
        "rss_bytes_per_face": round(rss_growth / size, 1),
        "queries": queries,
    }


def run(sizes: list[int], quick: bool, kind: str) -> dict[str, object]:
    """Measures every size in turn; returns the report."""
    machine = machine_info()
    rng = np.random.default_rng(0)
    report: dict[str, object] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        "approximate_kind": kind,
        "exact_max_faces": EXACT_MAX_FACES,
        "method": METHOD,
        "targets_at_1m": TARGETS_AT_1M,
    }
    for size in sizes:
        result = measure(size, QUICK_QUERIES if quick else QUERIES, kind, rng)
        report[str(size)] = result
        print(json.dumps(result), flush=True)
        gc.collect()
    report.update(measure_sync_latency(QUICK_SYNC_FACES if quick else SYNC_FACES))
    report["machine"] = {**machine, "load_average_at_end": round(os.getloadavg()[0], 2)}
    return report


def print_table(report: dict[str, object], sizes: list[int]) -> None:
    columns = ("kind", "load_seconds", "search_p50_ms", "search_p99_ms", "recall_at_1", "bytes_per_face")
    print("\n" + f"{'faces':>9} | " + " | ".join(f"{name:>14}" for name in columns))
    for size in sizes:
        row = report[str(size)]
        print(f"{size:>9} | " + " | ".join(f"{row[name]!s:>14}" for name in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k faces, 200 queries")
    parser.add_argument("--sizes", help="comma-separated collection sizes (default 10000,100000,1000000)")
    parser.add_argument("--kind", choices=("ivf", "hnsw"), default="ivf", help="approximate index above 50k faces")
    parser.add_argument("--out", type=Path, help="folder for the results (default bench/results)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else list(QUICK_SIZES if args.quick else SIZES)
    report = run(sizes, args.quick, args.kind)
    name = "collections" + ("" if args.kind == "ivf" else f".{args.kind}")
    output = write_json(results_dir(args.out, args.quick), f"{name}.json", report)
    print_table(report, sizes)
    print(f"written to {output}")


if __name__ == "__main__":
    main()

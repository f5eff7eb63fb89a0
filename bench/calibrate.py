"""Calibrates a pack's similarity coefficients on ../shared/data/lfw-dev.

CompreFace reports similarity as ``(tanh((c0 - d) * c1) + 1) / 2`` with ``d`` the euclidean
distance of normalised embeddings. ``c0`` is put at the distance that best separates genuine from
impostor pairs (so similarity 0.5 is the verification threshold) and ``c1`` so that the median
genuine pair reads 0.95. (A logistic fit of the slope saturates: on data this well separated it
pushes nearly every pair to 0 or 1, which makes candidate lists unreadable.)

    python -m bench.calibrate [--pack default] [--images N]

Writes ``bench/results/calibration-<pack>.json``; copy the two values into the pack file.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from core.model_fetch import ensure_models
from core.model_pack import load_pack
from core.pipeline import FacePipeline
from core.runtime import RuntimeOptions, SessionFactory
from core.settings import CoreSettings
from proto import core_pb2 as pb
from tests.support.paths import DATA_DIR, MODELS_DIR

RESULTS = Path(__file__).resolve().parent / "results"
MEDIAN_GENUINE_SIMILARITY = 0.95


def embed_lfw(pack_name: str, limit: int | None) -> dict[str, list[np.ndarray]]:
    """Identity -> embeddings of the largest face of each of its lfw-dev images."""
    settings = CoreSettings(model_pack=pack_name, models_dir=MODELS_DIR, batching=False)
    pack = load_pack(pack_name)
    sessions = SessionFactory(RuntimeOptions(threads=RuntimeOptions.automatic_threads(1), use_gpu=True))
    pipeline = FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False), sessions)
    paths = sorted((DATA_DIR / "lfw-dev" / "images").glob("*/*.jpg"))[:limit]
    by_identity: dict[str, list[np.ndarray]] = defaultdict(list)
    for path in paths:
        response = pipeline.process(pb.ProcessImageRequest(image=path.read_bytes(), face_plugins=["calculator"],
                                                           limit=1, det_prob_threshold=0.3))
        if response.faces:
            by_identity[path.parent.name].append(np.array(response.faces[0].embedding))
    pipeline.close()
    return by_identity


def pair_distances(by_identity: dict[str, list[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Distances of every genuine pair and of as many random impostor pairs."""
    genuine = [np.linalg.norm(a - b) for faces in by_identity.values()
               for i, a in enumerate(faces) for b in faces[i + 1:]]
    names = list(by_identity)
    rng = np.random.default_rng(0)
    impostor = []
    while len(impostor) < len(genuine):
        first, second = rng.choice(len(names), 2, replace=False)
        impostor.append(np.linalg.norm(by_identity[names[first]][0] - by_identity[names[second]][0]))
    return np.array(genuine), np.array(impostor)


def fit_coefficients(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float]:
    distances = np.concatenate([genuine, impostor])
    same = np.concatenate([np.ones_like(genuine), np.zeros_like(impostor)])
    candidates = np.unique(distances)
    accuracy = [np.mean((distances <= t) == same) for t in candidates]
    c0 = float(candidates[int(np.argmax(accuracy))])
    c1 = np.arctanh(2 * MEDIAN_GENUINE_SIMILARITY - 1) / (c0 - float(np.median(genuine)))

    def similarity(d: np.ndarray) -> np.ndarray:
        return (np.tanh((c0 - d) * c1) + 1) / 2

    return {"similarity_c0": round(c0, 6), "similarity_c1": round(float(c1), 6),
            "accuracy_at_c0": round(float(max(accuracy)), 4),
            "median_impostor_similarity": round(float(np.median(similarity(impostor))), 4),
            "impostors_above_0_5": int(np.sum(similarity(impostor) > 0.5)),
            "genuine_below_0_5": int(np.sum(similarity(genuine) < 0.5))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", default="default")
    parser.add_argument("--images", type=int, default=None, help="only the first N lfw-dev images")
    arguments = parser.parse_args()
    started = time.perf_counter()
    by_identity = embed_lfw(arguments.pack, arguments.images)
    genuine, impostor = pair_distances(by_identity)
    result = {"pack": arguments.pack, "genuine_pairs": len(genuine), "impostor_pairs": len(impostor),
              **fit_coefficients(genuine, impostor), "seconds": round(time.perf_counter() - started, 1)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"calibration-{arguments.pack}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

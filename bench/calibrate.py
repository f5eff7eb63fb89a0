"""Calibrates a pack's similarity coefficients on ../shared/data/lfw-dev.

CompreFace reports similarity as ``(tanh((c0 - d) * c1) + 1) / 2`` with ``d`` the euclidean
distance of normalised embeddings, and users read 0.5 as "same person". ``c0`` is the distance at
which similarity reads 0.5: it is put where at most one impostor pair in 10,000 scores above 0.5
(FAR 1e-4), counted over every impostor pair that the dev set's embeddings form (about 5 million).
``c1`` sets the slope so that the median genuine pair reads 0.95. (A logistic fit of the slope
saturates: on data this well separated it pushes nearly every pair to 0 or 1, which makes
candidate lists unreadable.)

    python -m bench.calibrate [--pack default] [--images N] [--write] [--out DIR]

Embeds every dev image with the pack in this process (the core's own pipeline, largest face at
detection threshold 0.3), writes ``calibration-<pack>.json`` to bench/results (or --out) and, with
--write, stores the two values in the pack file. ``python -m bench`` runs the fit for every pack
whose models are present, without writing. bench.accuracy makes the same fit from the
embeddings the running platform returns, as a check of the values in use.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.lfw import images_by_identity, read_image
from bench.output import results_dir, write_json
from core.model_fetch import ensure_models
from core.model_pack import PACKS_DIR, load_pack
from core.pipeline import FacePipeline, ImageRequest
from core.runtime import SessionFactory, runtime_options
from core.settings import CoreSettings
from tests.support.paths import MODELS_DIR

TARGET_FAR = 1e-4
MEDIAN_GENUINE_SIMILARITY = 0.95
HISTOGRAM_BINS = np.linspace(0.0, 2.0, 101)


def similarity(distances: np.ndarray, c0: float, c1: float) -> np.ndarray:
    """CompreFace's similarity of these distances, rounded half-up to 5 decimals as the api does."""
    return np.floor((np.tanh((c0 - distances) * c1) + 1) / 2 * 1e5 + 0.5) / 1e5


def all_pair_distances(embeddings: np.ndarray, identities: Sequence[str], others: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Distances of every genuine and every impostor pair that the embeddings (one per row) form; with
    ``others`` (the same images embedded another way, row for row), each pair takes its first image from
    ``embeddings`` and its second from ``others``."""
    def unit_rows(rows: np.ndarray) -> np.ndarray:
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    unit = unit_rows(embeddings)
    second = unit if others is None else unit_rows(others)
    labels = np.asarray(identities)
    genuine, impostor = [], []
    for row in range(len(unit) - 1):
        cosines = second[row + 1:] @ unit[row]
        same = labels[row + 1:] == labels[row]
        genuine.append(cosines[same])
        impostor.append(cosines[~same])

    def distance(cosines: list[np.ndarray]) -> np.ndarray:
        return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * np.concatenate(cosines).astype(np.float64)))

    return distance(genuine), distance(impostor)


def fit_coefficients(genuine: np.ndarray, impostor: np.ndarray, far: float = TARGET_FAR) -> tuple[float, float]:
    """``c0`` halfway between the impostor distances that FAR lets through and the next one; ``c1`` so
    that the median genuine pair reads MEDIAN_GENUINE_SIMILARITY."""
    allowed = int(far * len(impostor))
    nearest = np.sort(np.partition(impostor, allowed)[:allowed + 1])
    below = nearest[allowed - 1] if allowed else nearest[0] - 0.01
    # The first impostor past the threshold must not read 0.5 once rounded to 5 decimals.
    threshold = min(float(below + nearest[allowed]) / 2, float(nearest[allowed]) - 1e-5)
    c0 = float(np.floor(threshold * 1e6) / 1e6)
    median = float(np.median(genuine))
    if median >= c0:
        raise ValueError(f"the median genuine pair (distance {median:.3f}) is beyond the FAR {far} threshold {c0:.3f}")
    c1 = float(np.arctanh(2 * MEDIAN_GENUINE_SIMILARITY - 1) / (c0 - median))
    return c0, round(c1, 6)


def evaluate(genuine: np.ndarray, impostor: np.ndarray, c0: float, c1: float) -> dict[str, object]:
    """What users see with these coefficients: how many pairs of each kind read >= 0.5, and the
    distance histograms the report plots."""
    genuine_similarity, impostor_similarity = similarity(genuine, c0, c1), similarity(impostor, c0, c1)
    impostors_named = int(np.sum(impostor_similarity >= 0.5))
    return {
        "similarity_c0": c0, "similarity_c1": c1,
        "genuine_pairs": len(genuine), "impostor_pairs": len(impostor),
        "genuine_share_at_0_5": round(float(np.mean(genuine_similarity >= 0.5)), 5),
        "impostors_at_or_above_0_5": impostors_named,
        "far_at_0_5": float(impostors_named / len(impostor)),
        "median_genuine_similarity": round(float(np.median(genuine_similarity)), 4),
        "median_impostor_similarity": round(float(np.median(impostor_similarity)), 5),
        "histogram": {"bin_edges": [round(float(edge), 3) for edge in HISTOGRAM_BINS],
                      "genuine": np.histogram(genuine, HISTOGRAM_BINS)[0].tolist(),
                      "impostor": np.histogram(impostor, HISTOGRAM_BINS)[0].tolist()},
    }


def calibration(genuine: np.ndarray, impostor: np.ndarray, current: tuple[float, float]) -> dict[str, object]:
    """The fit on these pair distances, and how the pack's current coefficients do on the same pairs."""
    c0, c1 = fit_coefficients(genuine, impostor)
    return {"target_far_at_0_5": TARGET_FAR, "median_genuine_similarity_target": MEDIAN_GENUINE_SIMILARITY,
            "fitted": evaluate(genuine, impostor, c0, c1),
            "current": {key: value for key, value in evaluate(genuine, impostor, *current).items()
                        if key != "histogram"}}


def embed_lfw(pack_name: str, limit: int | None) -> tuple[np.ndarray, list[str]]:
    """Embeddings (one row per image with a face) of the dev images, and each row's identity."""
    settings = CoreSettings(model_pack=pack_name, models_dir=MODELS_DIR, batching=False)
    pack = load_pack(pack_name)
    sessions = SessionFactory(runtime_options(settings, pack))
    pipeline = FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False), sessions)
    paths = [(name, path) for name, files in images_by_identity().items() for path in files][:limit]

    def embed(path: str) -> list[float] | None:
        result = pipeline.process(ImageRequest(image=read_image(path), face_plugins=["calculator"],
                                               limit=1, det_prob_threshold=0.3))
        return result.faces[0].embedding.tolist() if result.faces else None

    with ThreadPoolExecutor(2) as pool:
        found = [(name, vector) for (name, _), vector in zip(paths, pool.map(embed, [p for _, p in paths]))
                 if vector is not None]
    pipeline.close()
    return np.array([vector for _, vector in found], np.float32), [name for name, _ in found]


def write_pack_coefficients(pack_name: str, c0: float, c1: float, note: str) -> Path:
    """Replaces the recognizer's coefficients (and the comment lines above them) in the pack file."""
    path = PACKS_DIR / f"{pack_name}.toml"
    comment = "".join(f"# {line}\n" for line in note.splitlines())
    text, replaced = re.subn(r"(?m)^(# .*\n)*similarity_c0 = .*\nsimilarity_c1 = .*\n",
                             f"{comment}similarity_c0 = {c0}\nsimilarity_c1 = {c1}\n", path.read_text())
    if replaced != 1:
        raise ValueError(f"{path} has no similarity_c0/similarity_c1 lines to replace")
    path.write_text(text)
    return path


def run(pack_name: str, limit: int | None = None) -> dict[str, object]:
    """Embeds the dev images with the pack in this process and fits; returns calibration-<pack>.json."""
    started = time.perf_counter()
    recognizer = load_pack(pack_name).recognizer
    embeddings, identities = embed_lfw(pack_name, limit)
    genuine, impostor = all_pair_distances(embeddings, identities)
    return {"pack": pack_name, "recognizer": recognizer.name, "source": "in-process core pipeline (bench.calibrate)",
            "images": len(identities), "identities": len(set(identities)),
            **calibration(genuine, impostor, (recognizer.similarity_c0, recognizer.similarity_c1)),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pack", default="default")
    parser.add_argument("--images", type=int, default=None, help="only the first N lfw-dev images")
    parser.add_argument("--write", action="store_true", help="store the fitted coefficients in the pack file")
    parser.add_argument("--out", type=Path, help="folder for calibration-<pack>.json (default bench/results)")
    arguments = parser.parse_args()
    result = run(arguments.pack, arguments.images)
    write_json(results_dir(arguments.out, False), f"calibration-{arguments.pack}.json", result)
    fitted = result["fitted"]
    if arguments.write:
        note = (f"Calibrated on ../shared/data/lfw-dev (bench/calibrate.py): similarity 0.5 at FAR {TARGET_FAR:g}\n"
                f"({fitted['impostors_at_or_above_0_5']} of {fitted['impostor_pairs']:,} impostor pairs reach it), "
                f"passed by {fitted['genuine_share_at_0_5']:.2%} of {fitted['genuine_pairs']:,} genuine pairs.")
        path = write_pack_coefficients(arguments.pack, fitted["similarity_c0"], fitted["similarity_c1"], note)
        print(f"written to {path}")
    print(json.dumps({key: value for key, value in fitted.items() if key != "histogram"}, indent=2))


if __name__ == "__main__":
    main()

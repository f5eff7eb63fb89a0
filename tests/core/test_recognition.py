"""Embeddings of a real core server on the official LFW pairs of the development half."""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

LFW = DATA_DIR / "lfw-dev"


def _embedding(core: CoreProcess, relative_path: str) -> np.ndarray:
    response = core.process_image((LFW / relative_path).read_bytes(), face_plugins=["calculator"], limit=1,
                                  det_prob_threshold=0.3)
    assert response.faces, f"no face found in {relative_path}"
    return np.array(response.faces[0].embedding)


def test_genuine_pairs_score_higher_than_impostors(core: CoreProcess) -> None:
    pairs = list(csv.DictReader((LFW / "pairs_subset.csv").open()))
    paths = sorted({p["path1"] for p in pairs} | {p["path2"] for p in pairs})
    with ThreadPoolExecutor(4) as pool:
        embeddings = dict(zip(paths, pool.map(lambda path: _embedding(core, path), paths)))
    for embedding in embeddings.values():
        assert abs(np.linalg.norm(embedding) - 1) < 1e-3
    similarity = np.array([embeddings[p["path1"]] @ embeddings[p["path2"]] for p in pairs])
    same = np.array([p["same"] == "1" for p in pairs])

    thresholds = np.unique(similarity)
    accuracies = [np.mean((similarity >= t) == same) for t in thresholds]
    best = int(np.argmax(accuracies))
    print(f"\nLFW dev official pairs: {same.sum()} genuine, {(~same).sum()} impostor; "
          f"accuracy {accuracies[best]:.4f} at cosine threshold {thresholds[best]:.3f}")
    assert similarity[same].mean() > similarity[~same].mean() + 0.4
    assert accuracies[best] >= 0.97

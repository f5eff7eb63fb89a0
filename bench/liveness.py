"""Passive liveness (MiniFASNet V2 + V1SE) on LFW-dev: honest figures.

    python -m bench.liveness   -> bench/results/liveness.json

* Real photos called real: every LFW-dev face at the default threshold (0.5) and the spread of
  P(real). LFW is press photos, re-compressed for the web: outside the models' domain (camera
  captures), so this is a floor, not what a deployment's cameras give.
* Weak synthetic attack proxies on every 10th image (bench.degrade: recompressed, screen moire,
  printed photo in a frame), detected afresh: the share still called real. They are image edits,
  not re-captured prints or screens; a real attack set is needed for real figures.
"""

from __future__ import annotations

import time

import numpy as np

from bench import lfw_faces
from bench.degrade import ATTACK_PROXIES
from bench.lfw import LFW_DIR
from bench.output import results_dir, write_json
from core.images import decode_image

SAMPLE_EVERY = 10
THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


def real_photos(faces: dict[str, np.ndarray]) -> dict[str, object]:
    probability = faces["real_probability"]
    return {"faces": len(probability),
            "called_real": {str(threshold): round(float(np.mean(probability >= threshold)), 4)
                            for threshold in THRESHOLDS},
            "p_real_p5_p25_p50": [round(float(np.percentile(probability, q)), 4) for q in (5, 25, 50)]}


def attack_proxies(pipeline, paths: list[str]) -> dict[str, object]:
    plugin = pipeline.plugins["liveness"]
    found: dict[str, list[float]] = {name: [] for name in ATTACK_PROXIES}
    missed = dict.fromkeys(ATTACK_PROXIES, 0)
    for relative in paths:
        image = decode_image((LFW_DIR / relative).read_bytes(), 10 ** 8, 0).pixels
        for name, edit in ATTACK_PROXIES.items():
            attacked = edit(image)
            face = lfw_faces.largest_face(pipeline, attacked)
            if face is None:
                missed[name] += 1
                continue
            found[name].append(float(plugin.real_probabilities(attacked, [face])[0]))
    return {name: {"images": len(paths), "faces": len(scores), "no_face": missed[name],
                   "called_real": {str(threshold): round(float(np.mean(np.array(scores) >= threshold)), 4)
                                   for threshold in THRESHOLDS}}
            for name, scores in found.items()}


def run() -> dict[str, object]:
    started = time.perf_counter()
    faces = lfw_faces.load()
    pipeline = lfw_faces.load_pipeline()
    result = {"models": ["2.7_80x80_MiniFASNetV2", "4_0_0_80x80_MiniFASNetV1SE"], "default_threshold": 0.5,
              "real_lfw_dev": real_photos(faces),
              "attack_proxies": attack_proxies(pipeline, [str(path) for path in faces["path"][::SAMPLE_EVERY]])}
    pipeline.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


if __name__ == "__main__":
    write_json(results_dir(None, False), "liveness.json", run())

"""The cheap wins beside the backend, each measured in process with the server's own code and the
new default runtime, and checked to find the same faces:

- small images are detected at their own size (padded to a multiple of 32), not upscaled to 640 as
  the plain insightface pipeline does: LFW's 250x250 portraits, detection ms both ways;
- large JPEGs are decoded at reduced scale (libjpeg DCT scaling) to a long side of at least
  DECODE_MIN_LONG_SIDE (1280), or full size, or straight to the detection size (640): decode and
  detection ms, faces found, and how close the embeddings of the same faces stay;
- the 106-landmark model runs only when `landmarks2d106` is asked for: the group photo with and
  without it.

    python -m bench.cheap_wins [--quick] [--out DIR]   -> cheap_wins.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from bench.output import results_dir, write_json
from core.alignment import arcface_crop
from core.images import decode_image
from core.model_fetch import ensure_models
from core.model_pack import load_pack
from core.pipeline import FacePipeline, ImageRequest
from core.results import ImageResult
from core.runtime import SessionFactory, runtime_options
from core.settings import CoreSettings
from tests.support.paths import DATA_DIR, LFW_IMAGES, MODELS_DIR

PACK = "default"
MAX_PIXELS = 50_000_000
DECODE_SIZES = {"full size": 0, "long side >= 1280 (default)": 1280, "long side >= 640 (detection size)": 640}
LARGE_IMAGES = ("001_A.jpg", "002_A.jpg", "003_A.jpg", "004_A.jpg", "005_A.jpg", "006_A.jpg")
GROUP = DATA_DIR / "group-photos" / "insightface_t1.jpg"


def _ms(work: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Best of ``repeats`` runs in milliseconds, and the result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, (time.perf_counter() - started) * 1000)
    return round(best, 2), result


def small_images(pipeline: FacePipeline, count: int, repeats: int) -> dict[str, object]:
    """LFW portraits detected at their own size against upscaled to 640x640."""
    own, upscaled, same = [], [], 0
    for path in sorted(LFW_IMAGES.glob("*/*.jpg"))[:count]:
        image = decode_image(path.read_bytes(), MAX_PIXELS).pixels
        height, width = image.shape[:2]
        big = cv2.resize(image, (640, 640), interpolation=cv2.INTER_LINEAR)
        ms_own, faces = _ms(lambda: pipeline.detector.detect(image, 0.5), repeats)
        ms_big, faces_big = _ms(lambda: pipeline.detector.detect(big, 0.5), repeats)
        own.append(ms_own)
        upscaled.append(ms_big)
        scale = np.array([width / 640, height / 640] * 2, dtype=np.float32)
        same += len(faces) == len(faces_big) and all(
            np.abs(a.box - b.box * scale).max() < 0.05 * width for a, b in zip(faces, faces_big))
    return {"images": len(own), "size": "250x250", "detector_ms_own_size": round(float(np.mean(own)), 2),
            "detector_ms_upscaled_to_640": round(float(np.mean(upscaled)), 2),
            "speedup": round(float(np.mean(upscaled) / np.mean(own)), 2),
            "images_with_the_same_faces": same}


def decode_sizes(pipeline: FacePipeline, names: tuple[str, ...], repeats: int) -> dict[str, object]:
    """Large JPEGs decoded at each floor: decode and detection ms, faces, embeddings against the default's."""
    rows: dict[str, dict[str, object]] = {}
    reference: dict[str, np.ndarray] = {}
    for label, floor in sorted(DECODE_SIZES.items(), key=lambda item: item[1] != 1280):
        decode_ms, detect_ms, faces_found, cosines = [], [], 0, []
        for name in names:
            data = (DATA_DIR / "compreface-samples" / name).read_bytes()
            ms, decoded = _ms(lambda: decode_image(data, MAX_PIXELS, floor), repeats)
            decode_ms.append(ms)
            ms, faces = _ms(lambda: pipeline.detector.detect(decoded.pixels, 0.5), repeats)
            detect_ms.append(ms)
            faces_found += len(faces)
            if faces:
                largest = max(faces, key=lambda face: face.area)
                crop = arcface_crop(decoded.pixels, largest.landmarks, 112)[np.newaxis]
                embedding = pipeline.recognizer.embed(crop)[0]
                if floor == 1280:
                    reference[name] = embedding
                elif name in reference:
                    cosines.append(float(embedding @ reference[name]))
        rows[label] = {"decode_ms": round(float(np.mean(decode_ms)), 2),
                       "detector_ms": round(float(np.mean(detect_ms)), 2), "faces": faces_found,
                       "largest_face_cosine_vs_default_min": round(min(cosines), 5) if cosines else None}
    return {"images": list(names), "per_floor": rows}


def landmarks_106(pipeline: FacePipeline, repeats: int) -> dict[str, object]:
    data = GROUP.read_bytes()

    def process(plugins: list[str]) -> ImageResult:
        return pipeline.process(ImageRequest(image=data, face_plugins=plugins))

    without, faces = _ms(lambda: process(["calculator"]), repeats)
    with_106, _ = _ms(lambda: process(["calculator", "landmarks2d106"]), repeats)
    return {"image": GROUP.name, "faces": len(faces.faces), "ms_calculator": without,
            "ms_calculator_and_landmarks2d106": with_106, "saved_ms_when_not_asked": round(with_106 - without, 2)}


def run(quick: bool) -> dict[str, object]:
    settings = CoreSettings(model_pack=PACK, models_dir=MODELS_DIR, batching=False)
    pack = load_pack(PACK)
    sessions = SessionFactory(runtime_options(settings, pack))
    pipeline = FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False), sessions)
    repeats = 1 if quick else 3
    try:
        pipeline.warm_up(2)
        return {"runtime": f"{sessions.configuration.backend} {sessions.configuration.precision}",
                "small_images": small_images(pipeline, 5 if quick else 40, repeats),
                "decode": decode_sizes(pipeline, LARGE_IMAGES[:1] if quick else LARGE_IMAGES, repeats),
                "landmarks2d106": landmarks_106(pipeline, repeats), "quick": quick,
                "method": __doc__.split("\n\n")[0]}
    finally:
        pipeline.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, help="folder for cheap_wins.json (default bench/results)")
    arguments = parser.parse_args()
    result = run(arguments.quick)
    path = write_json(results_dir(arguments.out, arguments.quick), "cheap_wins.json", result)
    print(json.dumps({key: value for key, value in result.items() if key != "method"}, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

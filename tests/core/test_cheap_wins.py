"""The cheap wins find the same faces: small images detected at their own size rather than upscaled,
large JPEGs decoded at reduced scale, and the 106-landmark model run only when asked for."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.images import decode_image
from core.model_fetch import ensure_models
from core.model_pack import load_pack
from core.pipeline import FacePipeline, ImageRequest
from core.runtime import SessionFactory, runtime_options
from core.settings import CoreSettings
from tests.support.paths import DATA_DIR, LFW_IMAGES, MODELS_DIR

MAX_PIXELS = 50_000_000


@pytest.fixture(scope="module")
def pipeline():
    settings = CoreSettings(models_dir=MODELS_DIR, fetch_missing_models=False, batching=False)
    pack = load_pack(settings.model_pack)
    built = FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False),
                         SessionFactory(runtime_options(settings, pack)))
    yield built
    built.close()


def test_small_images_detected_at_their_own_size_give_the_faces_found_when_upscaled(pipeline) -> None:
    for path in sorted(LFW_IMAGES.glob("*/*.jpg"))[:8]:
        image = decode_image(path.read_bytes(), MAX_PIXELS).pixels
        height, width = image.shape[:2]
        own = pipeline.detector.detect(image, 0.5)
        upscaled = pipeline.detector.detect(cv2.resize(image, (640, 640), interpolation=cv2.INTER_LINEAR), 0.5)
        assert len(own) == len(upscaled) >= 1, path.name
        scale = np.array([width / 640, height / 640] * 2, dtype=np.float32)
        for a, b in zip(sorted(own, key=lambda face: face.box[0]), sorted(upscaled, key=lambda face: face.box[0])):
            assert np.abs(a.box - b.box * scale).max() < 0.05 * width, path.name


def test_a_large_jpeg_decoded_reduced_gives_the_faces_of_the_full_decode(pipeline) -> None:
    data = (DATA_DIR / "compreface-samples" / "002_A.jpg").read_bytes()
    reduced, full = decode_image(data, MAX_PIXELS, 1280), decode_image(data, MAX_PIXELS, 0)
    assert reduced.scale > 1 and full.scale == 1
    found_reduced = pipeline.detector.detect(reduced.pixels, 0.5)
    found_full = pipeline.detector.detect(full.pixels, 0.5)
    assert len(found_reduced) == len(found_full) == 1
    assert np.abs(found_reduced[0].box * reduced.scale - found_full[0].box).max() < 0.02 * full.pixels.shape[1]


def test_the_106_landmark_model_runs_only_when_asked_for(pipeline) -> None:
    image = (DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes()
    plain = pipeline.process(ImageRequest(image=image, face_plugins=["calculator"], with_timings=True))
    asked = pipeline.process(ImageRequest(image=image, face_plugins=["calculator", "landmarks2d106"], with_timings=True))
    assert "landmarks2d106" not in plain.timings_ms and "landmarks2d106" not in plain.faces[0].plugins
    assert "landmarks2d106" in asked.timings_ms and asked.faces[0].plugins["landmarks2d106"].points.shape == (106, 2)
    assert len(plain.faces) == len(asked.faces) == 6

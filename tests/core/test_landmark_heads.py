"""The detector's landmark convolutions computed in float32 at the kept faces (core.detectors.landmark_heads):
the same faces as the whole graph, landmarks within a rounding of their features to bfloat16, and bf16 detectors
built that way."""

from __future__ import annotations

import numpy as np
import pytest

from core.detectors import build_detector
from core.detectors.landmark_heads import split_landmark_heads
from core.detectors.scrfd import LANDMARK_OUTPUTS, ScrfdDetector
from core.images import decode_image
from core.model_pack import load_pack
from core.runtime import Configuration, RuntimeOptions, SessionFactory
from tests.support.paths import DATA_DIR, MODELS_DIR

PACK = load_pack("default")
DETECTOR = MODELS_DIR / PACK.detector.file
GROUP = DATA_DIR / "group-photos" / "insightface_t1.jpg"


def _sessions(**options) -> SessionFactory:
    return SessionFactory(RuntimeOptions(threads=1, use_gpu=False, **options)).for_role("detector")


def _by_position(faces):
    return sorted(faces, key=lambda face: (face.box[0], face.box[1]))


@pytest.mark.parametrize("image", [GROUP, DATA_DIR / "compreface-samples" / "001_A.jpg"])
def test_landmarks_computed_at_the_kept_faces_match_the_whole_graph(image) -> None:
    """Both graphs in float32; the split one returns its feature maps in bfloat16, which moves a landmark by at
    most a few thousandths of the largest stride (32 px of the detector's input)."""
    pixels = decode_image(image.read_bytes(), 50_000_000, 1280).pixels
    sessions = _sessions(backend="openvino", precision="f32")
    whole = build_detector(PACK.detector, DETECTOR, sessions, 640)
    body, convs = split_landmark_heads(DETECTOR, LANDMARK_OUTPUTS)
    split = ScrfdDetector(PACK.detector, sessions.create(body), 640, convs)
    input_pixel = max(1.0, max(pixels.shape[:2]) / 640)  # in the image's pixels
    for threshold in (0.5, 0.02):
        expected, found = _by_position(whole.detect(pixels, threshold)), _by_position(split.detect(pixels, threshold))
        assert len(found) == len(expected) > 0
        for a, b in zip(expected, found):
            assert a.score == pytest.approx(b.score, abs=1e-6)
            np.testing.assert_allclose(a.box, b.box, atol=1e-3)
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=0.005 * 32 * input_pixel)


def test_a_graph_without_such_landmark_outputs_is_not_split() -> None:
    other = MODELS_DIR / PACK.plugins["landmarks2d106"].file
    assert split_landmark_heads(other, [0]) is None


def test_a_float32_detector_runs_its_whole_graph() -> None:
    detector = build_detector(PACK.detector, DETECTOR, _sessions(backend="openvino", precision="f32"), 640)
    assert detector.landmark_convs == []


def test_a_bf16_detector_keeps_its_landmark_convolutions_in_float32() -> None:
    """Configured directly, so that it runs on every CPU: where bfloat16 is not native OpenVINO computes float32."""
    pixels = decode_image(GROUP.read_bytes(), 50_000_000, 1280).pixels
    reference = build_detector(PACK.detector, DETECTOR, _sessions(backend="onnxruntime"), 640)
    bf16 = Configuration("openvino", {"detector": "bf16", "calculator": "bf16", "plugins": "f32"}, "CPU", "a test")
    sessions = SessionFactory(RuntimeOptions(threads=1, use_gpu=False), bf16).for_role("detector")
    detector = build_detector(PACK.detector, DETECTOR, sessions, 640)
    assert len(detector.landmark_convs) == 3
    expected, found = _by_position(reference.detect(pixels, 0.5)), _by_position(detector.detect(pixels, 0.5))
    assert len(found) == len(expected) == 6
    for a, b in zip(expected, found):
        assert np.abs(a.landmarks - b.landmarks).max() < 1.0

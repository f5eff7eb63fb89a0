"""Options of ProcessImage through a real core server: plugins, whole-image faces, timings, image
formats and orientation, large images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

GROUP = DATA_DIR / "group-photos" / "insightface_t1.jpg"
PORTRAIT = DATA_DIR / "compreface-samples" / "007_B.jpg"
LFW_FACE = next(iter(sorted((DATA_DIR / "lfw-dev" / "images").glob("C*/*_0001.jpg"))))
ALIGNED = DATA_DIR / "lfw-dev" / "aligned112"


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _embedding(core: CoreProcess, image: bytes, **options: object) -> np.ndarray:
    faces = core.process_image(image, face_plugins=["calculator"], limit=1, **options).faces
    assert len(faces) == 1
    return np.array(faces[0].embedding)


def test_every_plugin_fills_its_field(core: CoreProcess) -> None:
    plugins = ["calculator", "landmarks2d106", "age", "gender", "pose", "mask"]
    response = core.process_image(PORTRAIT.read_bytes(), face_plugins=plugins)
    face = response.faces[0]
    assert len(face.embedding) == 512 and len(face.landmarks2d106) == 106
    assert face.gender.value == "female" and 0.5 <= face.gender.probability <= 1
    assert 15 <= face.age.low <= face.age.high <= 45
    assert face.mask.value == "without_mask"
    assert max(abs(face.pose.pitch), abs(face.pose.yaw), abs(face.pose.roll)) < 45
    assert set(response.plugins_versions) == {"detector", *plugins}


def test_without_plugins_only_boxes_and_landmarks_come_back(core: CoreProcess) -> None:
    face = core.process_image(PORTRAIT.read_bytes()).faces[0]
    assert len(face.landmarks) == 5
    assert not face.embedding and not face.landmarks2d106
    assert not face.HasField("age") and not face.HasField("gender") and not face.HasField("mask")


def test_timings_are_reported_on_request(core: CoreProcess) -> None:
    response = core.process_image(GROUP.read_bytes(), face_plugins=["calculator", "age"], with_timings=True)
    assert {"decode", "detector", "align", "calculator", "age", "total"} <= set(response.timings_ms)
    assert response.timings_ms["total"] >= response.timings_ms["detector"] > 0
    assert {"detector", "calculator", "age"} <= set(response.faces[0].timings_ms)
    assert not core.process_image(GROUP.read_bytes()).timings_ms


def test_whole_image_as_face_matches_the_aligned_crop(core: CoreProcess) -> None:
    crop = sorted(ALIGNED.glob("*.jpg"))[0].read_bytes()
    response = core.process_image(crop, face_plugins=["calculator", "pose", "mask", "gender"],
                                  whole_image_is_face=True)
    face = response.faces[0]
    assert len(response.faces) == 1 and face.box.probability == 1.0
    assert (face.box.x_min, face.box.y_min, face.box.x_max, face.box.y_max) == (0, 0, 112, 112)
    assert not face.HasField("pose") and not face.HasField("mask") and face.HasField("gender")
    detected = _embedding(core, crop, det_prob_threshold=0.2)
    assert float(np.array(face.embedding) @ detected) > 0.6


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP", "GIF", "TIFF"])
def test_formats_give_the_same_face(core: CoreProcess, fmt: str) -> None:
    original = Image.open(LFW_FACE)
    reference = _embedding(core, LFW_FACE.read_bytes())
    options = {"lossless": True} if fmt == "WEBP" else {}
    assert float(reference @ _embedding(core, _encoded(original, fmt, **options))) > 0.9


def test_grayscale_and_alpha_images_are_handled(core: CoreProcess) -> None:
    original = Image.open(LFW_FACE)
    reference = _embedding(core, LFW_FACE.read_bytes())
    assert float(reference @ _embedding(core, _encoded(original.convert("L"), "PNG"))) > 0.8
    assert float(reference @ _embedding(core, _encoded(original.convert("RGBA"), "PNG"))) > 0.95


@pytest.mark.parametrize("orientation, transpose", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_exif_orientation_is_honoured(core: CoreProcess, orientation: int, transpose) -> None:
    original = Image.open(GROUP)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored_sideways = _encoded(original.transpose(transpose), "JPEG", exif=exif, quality=95)
    upright = core.process_image(GROUP.read_bytes())
    rotated = core.process_image(stored_sideways)
    assert (rotated.image_width, rotated.image_height) == (original.width, original.height)
    assert len(rotated.faces) == len(upright.faces) == 6
    for expected, actual in zip(upright.faces, rotated.faces):
        assert abs(expected.box.x_min - actual.box.x_min) <= 6 and abs(expected.box.y_max - actual.box.y_max) <= 6


def test_large_images_are_detected_scaled_down_and_mapped_back(core: CoreProcess) -> None:
    original = Image.open(GROUP)
    big = original.resize((original.width * 4, original.height * 4), Image.Resampling.BICUBIC)
    small_faces = core.process_image(GROUP.read_bytes(), face_plugins=["calculator", "landmarks2d106"]).faces
    big_response = core.process_image(_encoded(big, "JPEG", quality=90),
                                      face_plugins=["calculator", "landmarks2d106"])
    assert (big_response.image_width, big_response.image_height) == big.size
    assert len(big_response.faces) == len(small_faces)
    for small, large in zip(small_faces, big_response.faces):
        assert abs(large.box.x_min - 4 * small.box.x_min) <= 12
        assert abs(large.box.y_max - 4 * small.box.y_max) <= 12
        assert abs(large.landmarks[2].x - 4 * small.landmarks[2].x) <= 12
        assert abs(large.landmarks2d106[50].y - 4 * small.landmarks2d106[50].y) <= 16
        assert float(np.dot(large.embedding, small.embedding)) > 0.85

"""Detection through a real core server on the labelled images in ../shared/data."""

from __future__ import annotations

import json

import pytest

from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

SAMPLES = DATA_DIR / "compreface-samples"
ANNOTATIONS = json.loads((SAMPLES / "annotations.json").read_text())["images"]


@pytest.mark.parametrize("name, people", [("insightface_t1.jpg", 6), ("solvay_conference_1927.png", 29)])
def test_group_photos_give_every_face(core: CoreProcess, name: str, people: int) -> None:
    response = core.process_image((DATA_DIR / "group-photos" / name).read_bytes())
    assert len(response.faces) == people


@pytest.mark.parametrize("name", sorted(ANNOTATIONS))
def test_one_box_around_each_annotated_nose(core: CoreProcess, name: str) -> None:
    noses = ANNOTATIONS[name]["noses"]
    response = core.process_image((SAMPLES / name).read_bytes())
    assert len(response.faces) == len(noses), f"{name}: {len(response.faces)} faces, {len(noses)} annotated"
    for x, y in noses:
        around = [f.box for f in response.faces if f.box.x_min <= x <= f.box.x_max and f.box.y_min <= y <= f.box.y_max]
        assert len(around) == 1, f"{name}: nose at {(x, y)} is inside {len(around)} boxes"


def test_image_without_annotated_faces_gives_none(core: CoreProcess) -> None:
    assert ANNOTATIONS.get("017_0.jpg", {"noses": []})["noses"] == []
    assert len(core.process_image((SAMPLES / "017_0.jpg").read_bytes()).faces) == 0


@pytest.mark.parametrize("path", sorted((DATA_DIR / "no-face").iterdir()), ids=lambda p: p.name)
def test_no_face_images_give_no_face(core: CoreProcess, path) -> None:
    assert len(core.process_image(path.read_bytes()).faces) == 0


def test_faces_come_largest_first_with_five_landmarks_inside_the_box(core: CoreProcess) -> None:
    faces = core.process_image((DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes()).faces
    areas = [(f.box.x_max - f.box.x_min) * (f.box.y_max - f.box.y_min) for f in faces]
    assert areas == sorted(areas, reverse=True)
    for face in faces:
        assert len(face.landmarks) == 5
        assert all(face.box.x_min <= p.x <= face.box.x_max and face.box.y_min <= p.y <= face.box.y_max
                   for p in face.landmarks)
        assert 0.5 < face.box.probability <= 1.0


def test_limit_keeps_the_largest_faces(core: CoreProcess) -> None:
    image = (DATA_DIR / "group-photos" / "solvay_conference_1927.png").read_bytes()
    every = core.process_image(image).faces
    two = core.process_image(image, limit=2).faces
    assert [f.box for f in two] == [f.box for f in every[:2]]


def test_threshold_drops_faces_at_or_below_it(core: CoreProcess) -> None:
    image = (DATA_DIR / "group-photos" / "solvay_conference_1927.png").read_bytes()
    every = core.process_image(image, det_prob_threshold=0.3).faces
    cut = sorted(f.box.probability for f in every)[len(every) // 2]
    kept = core.process_image(image, det_prob_threshold=cut).faces
    assert 0 < len(kept) < len(every)
    assert all(f.box.probability > cut for f in kept)
    assert core.process_image(image, det_prob_threshold=1.0).faces == []

"""Face plugins (106 landmarks, age, gender, mask, pose, quality, liveness) on real models and real photos.

Faces come from InsightFace's own SCRFD (the installed ``insightface`` package) so that these
tests do not depend on our detector.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from insightface.app.common import Face as InsightFace
from insightface.model_zoo.landmark import Landmark
from insightface.model_zoo.scrfd import SCRFD

from core.faces import DetectedFace
from core.model_pack import ModelPack, PackError, load_pack, verified_path
from core.plugins import FacePlugin, build_plugins
from bench.degrade import printed_in_frame
from core.plugins.age_gender import AGE_VALUES, age_ranges
from core.plugins.liveness import crop_window, reference_box
from core.plugins.mask import MaskPlugin, decode, iou, ssd_anchors
from core.plugins.pose import MEAN_FACE_MM, head_pose
from core.plugins.quality import scaled_quality
from core.runtime import RuntimeOptions, SessionFactory
from core.results import AgeRange, Label, PluginResult
from tests.support.paths import DATA_DIR, MODELS_DIR

SAMPLES = DATA_DIR / "compreface-samples"
LFW = DATA_DIR / "lfw-dev" / "images"
MEN = ("Donald_Rumsfeld", "Tony_Blair", "Gerhard_Schroeder")
WOMEN = ("Laura_Bush", "Jennifer_Aniston", "Venus_Williams")


def lfw_images(names: Sequence[str], per_person: int) -> list[Path]:
    return [path for name in names for path in sorted((LFW / name).glob("*.jpg"))[:per_person]]


@pytest.fixture(scope="module")
def pack() -> ModelPack:
    return load_pack("default")


@pytest.fixture(scope="module")
def sessions() -> SessionFactory:
    return SessionFactory(RuntimeOptions(threads=2, use_gpu=False))


def model_paths(pack: ModelPack, models_dir: Path) -> dict[str, Path | str]:
    paths: dict[str, Path | str] = {}
    for slug, spec in pack.model_files().items():
        try:
            paths[slug] = verified_path(models_dir, spec)
        except PackError as error:
            paths[slug] = str(error)
    return paths


@pytest.fixture(scope="module")
def plugins(pack: ModelPack, sessions: SessionFactory) -> dict[str, FacePlugin]:
    available, unavailable = build_plugins(pack, model_paths(pack, MODELS_DIR), sessions)
    assert unavailable == {}
    return available


@pytest.fixture(scope="module")
def detector() -> SCRFD:
    scrfd = SCRFD(model_file=str(MODELS_DIR / "insightface/buffalo_sc/det_500m.onnx"))
    scrfd.prepare(ctx_id=-1, input_size=(640, 640))
    return scrfd


def detect(detector: SCRFD, image_rgb: np.ndarray) -> list[DetectedFace]:
    boxes, keypoints = detector.detect(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR))
    return [
        DetectedFace(box=box[:4].astype(np.float32), score=float(box[4]), landmarks=points.astype(np.float32))
        for box, points in zip(boxes, keypoints)
    ]


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def central_face(faces: Sequence[DetectedFace], image: np.ndarray) -> DetectedFace:
    """The face whose box centre is nearest the image centre (LFW's subject)."""
    centre = np.array(image.shape[1::-1]) / 2
    return min(faces, key=lambda face: float(np.linalg.norm(face.box.reshape(2, 2).mean(0) - centre)))


def annotate(plugin: FacePlugin, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[PluginResult]:
    results = plugin.annotate(image, faces)
    assert len(results) == len(faces)
    return results


def lfw_subject(detector: SCRFD, path: Path) -> tuple[np.ndarray, DetectedFace]:
    image = read_rgb(path)
    return image, central_face(detect(detector, image), image)


def test_every_plugin_handles_an_image_without_faces(plugins: dict[str, FacePlugin]) -> None:
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    for plugin in plugins.values():
        assert plugin.annotate(image, []) == []


# --- 106 landmarks -----------------------------------------------------------------------------

def test_106_landmarks_lie_on_the_face_and_contain_the_5_keypoints(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    paths = [SAMPLES / "000_5.jpg", SAMPLES / "007_B.jpg", *lfw_images(MEN + WOMEN, 1)]
    distances = []
    for path in paths:
        image = read_rgb(path)
        faces = detect(detector, image)
        for face, result in zip(faces, annotate(plugins["landmarks2d106"], image, faces)):
            points = result.points
            assert points.shape == (106, 2)
            margin = 0.25 * (face.box[2:] - face.box[:2]).max()
            assert (points >= face.box[:2] - margin).all() and (points <= face.box[2:] + margin).all()
            eye_distance = np.linalg.norm(face.landmarks[1] - face.landmarks[0])
            nearest = np.linalg.norm(points[None] - face.landmarks[:, None], axis=2).min(axis=1)
            # The two models place mouth corners a little differently.
            assert (nearest < 0.15 * eye_distance).all(), f"{path.name}: {nearest / eye_distance}"
            distances.append(nearest / eye_distance)
    assert len(distances) >= 12
    assert np.median(distances) < 0.06


def test_106_landmarks_equal_insightface_own_landmark_model(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    reference = Landmark(model_file=str(MODELS_DIR / "insightface/buffalo_s/2d106det.onnx"))
    reference.prepare(ctx_id=-1)
    image = read_rgb(SAMPLES / "000_5.jpg")
    faces = detect(detector, image)
    for face, result in zip(faces, annotate(plugins["landmarks2d106"], image, faces)):
        expected = reference.get(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), InsightFace(bbox=face.box))
        points = result.points
        assert np.abs(points - expected).max() < 0.05


def test_106_landmarks_of_a_batch_equal_those_of_single_faces(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    image = read_rgb(SAMPLES / "000_5.jpg")
    faces = detect(detector, image)
    assert len(faces) == 5
    batched = annotate(plugins["landmarks2d106"], image, faces)
    for face, result in zip(faces, batched):
        single = annotate(plugins["landmarks2d106"], image, [face])[0]
        assert np.abs(result.points - single.points).sum(axis=1).max() < 0.01


# --- gender and age ----------------------------------------------------------------------------

ANNOTATIONS = json.loads((SAMPLES / "annotations.json").read_text())


def compreface_person_faces(detector: SCRFD, person: str) -> list[tuple[np.ndarray, DetectedFace]]:
    """(image, the face around the annotated nose) for each image of a CompreFace sample person."""
    found = []
    for name in ANNOTATIONS["persons"][person]["images"]:
        image = read_rgb(SAMPLES / name)
        (nose_x, nose_y), = ANNOTATIONS["images"][name]["noses"]
        faces = [f for f in detect(detector, image)
                 if f.box[0] <= nose_x <= f.box[2] and f.box[1] <= nose_y <= f.box[3]]
        assert len(faces) == 1, name
        found.append((image, faces[0]))
    return found


@pytest.fixture(scope="module")
def compreface_people(detector: SCRFD) -> dict[str, list[tuple[np.ndarray, DetectedFace]]]:
    return {person: compreface_person_faces(detector, person) for person in ANNOTATIONS["persons"]}


def test_gender_of_compreface_sample_people(
    plugins: dict[str, FacePlugin], compreface_people: dict[str, list[tuple[np.ndarray, DetectedFace]]]
) -> None:
    for person, faces in compreface_people.items():
        expected = "male" if ANNOTATIONS["persons"][person]["is_male"] else "female"
        for image, face in faces:
            gender = annotate(plugins["gender"], image, [face])[0]
            assert gender.value == expected, person
            assert 0.5 <= gender.probability <= 1.0


@pytest.mark.parametrize("names, expected", [(MEN, "male"), (WOMEN, "female")])
def test_gender_of_well_known_lfw_people(
    plugins: dict[str, FacePlugin], detector: SCRFD, names: tuple[str, ...], expected: str
) -> None:
    for path in lfw_images(names, 2):
        image, face = lfw_subject(detector, path)
        assert annotate(plugins["gender"], image, [face])[0].value == expected, path.name


@pytest.mark.parametrize("person", ["A", "B"])
def test_age_of_compreface_sample_people(
    plugins: dict[str, FacePlugin], compreface_people: dict[str, list[tuple[np.ndarray, DetectedFace]]],
    person: str,
) -> None:
    for image, face in compreface_people[person]:
        age = annotate(plugins["age"], image, [face])[0]
        assert 15 <= age.low <= age.high <= 45, (person, age)
        assert 0.0 < age.probability <= 1.0


def test_gender_and_age_of_a_batch_equal_those_of_single_faces(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    image = read_rgb(SAMPLES / "000_5.jpg")
    faces = detect(detector, image)

    def gender_and_age(some_faces: Sequence[DetectedFace]) -> list[tuple[Label, AgeRange]]:
        return list(zip(annotate(plugins["gender"], image, some_faces), annotate(plugins["age"], image, some_faces)))

    for face, (gender, age) in zip(faces, gender_and_age(faces)):
        single_gender, single_age = gender_and_age([face])[0]
        assert (gender.value, age.low, age.high) == (single_gender.value, single_age.low, single_age.high)
        assert gender.probability == pytest.approx(single_gender.probability, abs=1e-4)
        assert age.probability == pytest.approx(single_age.probability, abs=1e-4)


def test_age_range_is_the_interquartile_range_around_the_expected_age() -> None:
    certain = np.zeros((1, 81), dtype=np.float32)
    certain[0, 30] = 1.0
    low, high, mass = age_ranges(certain)
    assert (low[0], high[0]) == (30, 30) and mass[0] == pytest.approx(1.0)

    spread = np.exp(-0.5 * ((np.arange(81) - 40) / 8.0) ** 2)[None].astype(np.float32)
    spread /= spread.sum()
    low, high, mass = age_ranges(spread)
    assert 33 <= low[0] <= 36 and 44 <= high[0] <= 47
    assert low[0] <= spread[0] @ AGE_VALUES <= high[0]
    assert mass[0] == pytest.approx(spread[0, low[0]:high[0] + 1].sum())


# --- mask --------------------------------------------------------------------------------------

def paint_mask(image: np.ndarray, face: DetectedFace) -> np.ndarray:
    """A pale-blue surgical-mask polygon over the lower nose, the mouth and the chin."""
    left_eye, right_eye, nose, left_mouth, right_mouth = face.landmarks
    across = right_eye - left_eye
    down = (left_mouth + right_mouth) / 2 - (left_eye + right_eye) / 2
    corners = [(-1.0, -0.2), (1.0, -0.2), (0.95, 0.8), (0.45, 1.3), (-0.45, 1.3), (-0.95, 0.8)]
    polygon = np.array([nose + a * across + d * down for a, d in corners], dtype=np.int32)
    masked = image.copy()
    cv2.fillPoly(masked, [polygon], (175, 205, 230))
    return masked


LFW_MASK_SET = (*MEN, *WOMEN, "Jennifer_Lopez", "Sharon_Stone")


def test_no_mask_on_lfw_faces(plugins: dict[str, FacePlugin], detector: SCRFD) -> None:
    for path in lfw_images(LFW_MASK_SET, 1):
        image, face = lfw_subject(detector, path)
        mask = annotate(plugins["mask"], image, [face])[0]
        assert mask.value == "without_mask", path.name
        assert 0.5 <= mask.probability <= 1.0


def test_mask_on_most_synthetic_masks(plugins: dict[str, FacePlugin], detector: SCRFD) -> None:
    answers = []
    for path in lfw_images(LFW_MASK_SET, 1):
        image, face = lfw_subject(detector, path)
        answers.append(annotate(plugins["mask"], paint_mask(image, face), [face])[0].value)
    assert answers.count("with_mask") >= 0.75 * len(answers), answers


def test_ssd_decoding_of_zero_offsets_gives_the_anchors() -> None:
    anchors = ssd_anchors()
    assert anchors.shape == (5972, 4)
    boxes = decode(np.zeros_like(anchors), anchors)
    assert np.allclose((boxes[:, :2] + boxes[:, 2:]) / 2, anchors[:, :2])
    assert np.allclose(boxes[:, 2:] - boxes[:, :2], anchors[:, 2:])
    # The first anchor (top-left cell of the finest map) overlaps itself fully, the last one
    # (bottom-right cell of the coarsest map) not at all.
    assert iou(boxes[[0, -1]], boxes[0]) == pytest.approx([1.0, 0.0])


def test_mask_falls_back_to_the_best_overlapping_box(
    pack: ModelPack, sessions: SessionFactory, detector: SCRFD
) -> None:
    """With an IoU threshold no box can pass, the face still gets an answer from its own region."""
    spec = pack.plugins["mask"]
    strict = spec.model_copy(update={"params": {**spec.params, "min_iou": 1.01}})
    plugin = MaskPlugin(strict, verified_path(MODELS_DIR, spec), sessions)
    image, face = lfw_subject(detector, lfw_images(MEN, 1)[0])
    assert annotate(plugin, image, [face])[0].value == "without_mask"
    assert annotate(plugin, paint_mask(image, face), [face])[0].value == "with_mask"


# --- pose --------------------------------------------------------------------------------------

def pose_of(plugins: dict[str, FacePlugin], image: np.ndarray, face: DetectedFace) -> np.ndarray:
    pose = annotate(plugins["pose"], image, [face])[0]
    return np.array([pose.pitch, pose.yaw, pose.roll])


def test_pose_is_near_frontal_on_lfw_faces(plugins: dict[str, FacePlugin], detector: SCRFD) -> None:
    poses = np.array([pose_of(plugins, *lfw_subject(detector, path)) for path in lfw_images(MEN + WOMEN, 2)])
    assert (np.abs(np.median(poses, axis=0)) < 10).all(), poses
    assert (np.abs(poses[:, 2]) < 15).all(), poses
    for name in ("Tony_Blair_0002", "Laura_Bush_0001", "Venus_Williams_0002", "Donald_Rumsfeld_0002"):
        frontal = pose_of(plugins, *lfw_subject(detector, LFW / name.rsplit("_", 1)[0] / f"{name}.jpg"))
        assert (np.abs(frontal) < 15).all(), (name, frontal)


@pytest.mark.parametrize("name, angle, sign", [
    ("Tony_Blair_0001", "yaw", -1),       # turned towards the image's left
    ("Laura_Bush_0002", "yaw", 1),        # turned towards the image's right
    ("Donald_Rumsfeld_0001", "pitch", 1),  # looking up
    ("Jennifer_Aniston_0002", "pitch", -1),  # chin down
])
def test_pose_signs_on_turned_lfw_faces(
    plugins: dict[str, FacePlugin], detector: SCRFD, name: str, angle: str, sign: int
) -> None:
    pitch, yaw, _ = pose_of(plugins, *lfw_subject(detector, LFW / name.rsplit("_", 1)[0] / f"{name}.jpg"))
    assert sign * {"pitch": pitch, "yaw": yaw}[angle] > 10


@pytest.mark.parametrize("angle", [-20.0, 20.0])
def test_roll_follows_an_in_plane_rotation(
    plugins: dict[str, FacePlugin], detector: SCRFD, angle: float
) -> None:
    image, face = lfw_subject(detector, LFW / "Tony_Blair" / "Tony_Blair_0002.jpg")
    centre = tuple(float(v) for v in face.box.reshape(2, 2).mean(0))
    rotated = cv2.warpAffine(image, cv2.getRotationMatrix2D(centre, angle, 1.0), image.shape[1::-1])
    turned_face = central_face(detect(detector, rotated), rotated)
    upright, turned = pose_of(plugins, image, face), pose_of(plugins, rotated, turned_face)
    # getRotationMatrix2D turns the image counter-clockwise for a positive angle: roll goes down.
    assert turned[2] - upright[2] == pytest.approx(-angle, abs=3.0)
    assert np.abs(turned[:2] - upright[:2]).max() < 5.0


def test_pose_yaw_sign_follows_the_nose(plugins: dict[str, FacePlugin]) -> None:
    """A face whose nose is shifted towards the image's right turns right: yaw > 0."""
    image = np.zeros((250, 250, 3), dtype=np.uint8)
    landmarks = np.array([[100, 110], [150, 110], [125, 135], [105, 160], [145, 160]], dtype=np.float32)
    box = np.array([80, 70, 170, 190], dtype=np.float32)
    frontal = DetectedFace(box=box, score=1.0, landmarks=landmarks)
    nose_right = landmarks.copy()
    nose_right[2, 0] += 8
    turned = DetectedFace(box=box, score=1.0, landmarks=nose_right)
    assert pose_of(plugins, image, turned)[1] > pose_of(plugins, image, frontal)[1] + 5


@pytest.mark.parametrize("pitch, yaw, roll", [(0, 0, 0), (20, 0, 0), (0, 30, 0), (0, 0, 20), (-15, -40, 120)])
@pytest.mark.parametrize("width, eye_distance_px", [(640, 120), (6000, 12)])
def test_pose_of_a_projected_mean_face(
    pitch: float, yaw: float, roll: float, width: int, eye_distance_px: float
) -> None:
    """Angles come back with the documented signs, for big faces and for tiny ones in big images."""
    # R = Rz(roll) Ry(yaw) Rx(pitch) in InsightFace's face frame (z towards the camera), seen
    # in ours (MEAN_FACE_MM, z away from it).
    x_axis, y_axis, z_axis = np.eye(3)
    about_z, about_y, about_x = (
        cv2.Rodrigues(np.radians(angle) * axis)[0]
        for angle, axis in ((roll, z_axis), (yaw, y_axis), (pitch, x_axis))
    )
    flip = np.diag([1.0, 1.0, -1.0])
    rotation = flip @ about_z @ about_y @ about_x @ flip
    distance = width * 63.0 / eye_distance_px
    camera_points = MEAN_FACE_MM @ rotation.T + [0.0, 0.0, distance]
    landmarks = camera_points[:, :2] / camera_points[:, 2:] * width + width / 2
    estimated = head_pose(landmarks.astype(np.float32), width, width)
    assert estimated == pytest.approx((pitch, yaw, roll), abs=1.0)


# --- registry ----------------------------------------------------------------------------------

def test_build_plugins_reports_a_missing_model_unavailable(
    pack: ModelPack, sessions: SessionFactory, tmp_path: Path
) -> None:
    files = [model.file for role, model in pack.model_files().items() if role not in ("mask", "liveness.v1se")]
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).symlink_to(MODELS_DIR / file)
    available, unavailable = build_plugins(pack, model_paths(pack, tmp_path), sessions)
    assert set(unavailable) == {"mask", "liveness"}
    assert "missing" in unavailable["mask"]
    assert "4_0_0_80x80_MiniFASNetV1SE" in unavailable["liveness"], "the absent companion file is named"
    assert set(available) == {"pose", "landmarks2d106", "age", "gender", "quality"}
    assert {slug: plugin.version for slug, plugin in available.items() if slug != "pose"} == {
        slug: pack.plugins[slug].version for slug in ("landmarks2d106", "age", "gender", "quality")
    }


def test_pose_is_always_available(pack: ModelPack, sessions: SessionFactory) -> None:
    available, unavailable = build_plugins(pack.model_copy(update={"plugins": {}}), {}, sessions)
    assert list(available) == ["pose"] and unavailable == {}


# --- quality -----------------------------------------------------------------------------------

def test_quality_scale_is_anchored_on_the_lfw_dev_percentiles(pack: ModelPack) -> None:
    table = np.asarray(pack.plugins["quality"].params["raw_at_percent"], dtype=np.float64)
    percents, raw = table[:, 0], table[:, 1]
    assert scaled_quality(raw[0], percents, raw) == pytest.approx(0.5)
    assert scaled_quality(raw[-1], percents, raw) == pytest.approx(1.0)
    assert scaled_quality(raw[0] / 2, percents, raw) == pytest.approx(0.25)
    assert scaled_quality(0.0, percents, raw) == 0.0
    median = raw[list(percents).index(50)]
    assert scaled_quality(median, percents, raw) == pytest.approx(0.5 + 0.5 * 49 / 99)
    values = scaled_quality(np.linspace(0, 1, 200), percents, raw)
    assert (np.diff(values) >= 0).all()


def test_quality_of_good_lfw_faces_is_acceptable_and_falls_with_blur(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    for path in lfw_images(MEN + WOMEN, 1):
        image, face = lfw_subject(detector, path)
        sharp = annotate(plugins["quality"], image, [face])[0]
        blurred = annotate(plugins["quality"], cv2.GaussianBlur(image, (0, 0), 4.0), [face])[0]
        assert sharp.acceptable and sharp.value >= 0.5, path.name
        assert blurred.value < sharp.value - 0.1, path.name
        assert "blur" in blurred.reasons


def test_quality_names_a_small_face_and_a_turned_head(plugins: dict[str, FacePlugin], detector: SCRFD) -> None:
    image, face = lfw_subject(detector, LFW / "Tony_Blair" / "Tony_Blair_0002.jpg")
    small_image = cv2.resize(image, (image.shape[1] // 4, image.shape[0] // 4), interpolation=cv2.INTER_AREA)
    small = central_face(detect(detector, small_image), small_image)
    assert "face_too_small" in annotate(plugins["quality"], small_image, [small])[0].reasons
    # The mean face turned 60 degrees and projected where this face is (as in the pose tests below).
    yaw = cv2.Rodrigues(np.radians(60.0) * np.array([0.0, 1.0, 0.0]))[0]
    camera_points = MEAN_FACE_MM @ yaw.T + [0.0, 0.0, 250 * 63.0 / 45]
    landmarks = camera_points[:, :2] / camera_points[:, 2:] * 250 + face.landmarks[2]
    turned = DetectedFace(box=face.box, score=face.score, landmarks=landmarks.astype(np.float32))
    assert "strong_head_pose" in annotate(plugins["quality"], image, [turned])[0].reasons


# --- liveness ----------------------------------------------------------------------------------

def test_liveness_crop_window_is_shifted_not_shrunk_at_the_image_edge() -> None:
    assert crop_window(250, 250, (100.0, 100.0, 50.0, 50.0), 2.7) == (57, 57, 192, 192)
    left, top, right, bottom = crop_window(250, 250, (0.0, 10.0, 50.0, 50.0), 2.7)
    assert (left, right - left) == (0, 135) and top == 0
    # A scale the image cannot hold is reduced to what fits.
    assert crop_window(100, 100, (40.0, 40.0, 20.0, 20.0), 10.0) == (0, 0, 99, 99)


def test_liveness_reference_box_is_wider_shorter_and_lower() -> None:
    x, y, width, height = reference_box(np.array([100, 100, 187.1, 218.2]), 0.871, 1.182, 0.079)
    assert (width, height) == pytest.approx((100.0, 100.0))
    assert y + height / 2 == pytest.approx(159.1 + 7.9)


def test_liveness_calls_real_photos_real_and_a_printed_photo_a_spoof(
    plugins: dict[str, FacePlugin], detector: SCRFD
) -> None:
    for name in ("Jacques_Chirac_0002", "Tony_Blair_0005", "Laura_Bush_0001"):
        image, face = lfw_subject(detector, LFW / name.rsplit("_", 1)[0] / f"{name}.jpg")
        verdict = annotate(plugins["liveness"], image, [face])[0]
        assert verdict.value == "real" and verdict.probability >= 0.5, name
        printed = printed_in_frame(image)
        verdict = annotate(plugins["liveness"], printed, [central_face(detect(detector, printed), printed)])[0]
        assert verdict.value == "spoof", name

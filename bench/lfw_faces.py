"""Every LFW-dev face run once through the default pack's own models in this process: embedding,
LightQNet raw quality, sharpness, liveness and pose, kept in one .npz for the quality, liveness
and open-set benchmarks (``python -m bench.lfw_faces`` builds it; they load it).

Each image's largest face at detection threshold 0.3 (as bench.calibrate); images without one are
left out.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.lfw import LFW_DIR, images_by_identity
from core.alignment import arcface_crop
from core.faces import DetectedFace
from core.images import decode_image
from core.model_fetch import ensure_models
from core.model_pack import load_pack
from core.pipeline import FacePipeline
from core.plugins.liveness import LivenessPlugin
from core.plugins.pose import head_pose
from core.plugins.quality import QualityPlugin, sharpness
from core.runtime import SessionFactory, runtime_options
from core.settings import CoreSettings
from tests.support.paths import MODELS_DIR

CACHE = Path(__file__).resolve().parents[1] / "var" / "bench" / "lfw-faces-default.npz"
DETECTION_THRESHOLD = 0.3


@dataclass
class FaceScores:
    """One face's measures, as the benchmarks use them."""

    embedding: np.ndarray
    raw_quality: float
    sharpness: float
    real_probability: float
    yaw: float
    pitch: float
    box_side: float


def load_pipeline(pack_name: str = "default") -> FacePipeline:
    settings = CoreSettings(model_pack=pack_name, models_dir=MODELS_DIR, batching=False, onnx_threads=1, use_gpu=False)
    pack = load_pack(pack_name)
    sessions = SessionFactory(runtime_options(settings, pack))
    return FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False), sessions)


def largest_face(pipeline: FacePipeline, image: np.ndarray) -> DetectedFace | None:
    faces = pipeline.detector.detect(image, DETECTION_THRESHOLD)
    return max(faces, key=lambda face: face.area) if faces else None


def score_face(pipeline: FacePipeline, image: np.ndarray, face: DetectedFace) -> FaceScores:
    quality: QualityPlugin = pipeline.plugins["quality"]
    liveness: LivenessPlugin = pipeline.plugins["liveness"]
    aligned = arcface_crop(image, face.landmarks, pipeline.pack.recognizer.crop_size)
    pitch, yaw, _ = head_pose(face.landmarks, image.shape[1], image.shape[0])
    return FaceScores(
        embedding=pipeline.recognizer.embed(aligned[None])[0],
        raw_quality=float(quality.raw_scores(aligned[None])[0]),
        sharpness=sharpness(aligned),
        real_probability=float(liveness.real_probabilities(image, [face])[0]),
        yaw=yaw, pitch=pitch,
        box_side=float(min(face.box[2] - face.box[0], face.box[3] - face.box[1])),
    )


def score_image(pipeline: FacePipeline, data: bytes) -> FaceScores | None:
    image = decode_image(data, pipeline.settings.max_image_pixels, pipeline.settings.decode_min_long_side).pixels
    face = largest_face(pipeline, image)
    return score_face(pipeline, image, face) if face else None


def build(path: Path = CACHE) -> Path:
    pipeline = load_pipeline()
    paths = [(name, relative) for name, files in images_by_identity().items() for relative in files]
    with ThreadPoolExecutor(2) as pool:
        scores = list(pool.map(lambda item: score_image(pipeline, (LFW_DIR / item[1]).read_bytes()), paths))
    kept = [(name, relative, score) for (name, relative), score in zip(paths, scores) if score is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        identity=np.array([name for name, _, _ in kept]), path=np.array([relative for _, relative, _ in kept]),
        embedding=np.stack([score.embedding for _, _, score in kept]).astype(np.float32),
        **{field: np.array([getattr(score, field) for _, _, score in kept])
           for field in ("raw_quality", "sharpness", "real_probability", "yaw", "pitch", "box_side")},
        without_face=len(paths) - len(kept),
    )
    pipeline.close()
    return path


def load(path: Path = CACHE) -> dict[str, np.ndarray]:
    """The measures of every LFW-dev face (built first when missing)."""
    if not path.is_file():
        build(path)
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files}


if __name__ == "__main__":
    print(build())

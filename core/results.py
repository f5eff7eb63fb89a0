"""What the pipeline and its plugins answer: plain typed data, turned into protobuf by core.service."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class AgeRange:
    low: int
    high: int
    probability: float


@dataclass(frozen=True)
class Label:
    """A class and how sure the model is of it: gender ("male"/"female"), mask
    ("with_mask"/"without_mask"), liveness ("real"/"spoof")."""

    value: str
    probability: float


@dataclass(frozen=True)
class HeadPose:
    """Degrees; signs as documented in core.plugins.pose."""

    pitch: float
    yaw: float
    roll: float


@dataclass(frozen=True)
class Landmarks106:
    points: np.ndarray  # float32 [106, 2] in the pixels of the image the plugin saw


@dataclass(frozen=True)
class Quality:
    """``value`` on the 0-1 scale of core.plugins.quality; ``reasons`` name what lowers it."""

    value: float
    acceptable: bool
    reasons: tuple[str, ...] = ()


PluginResult = AgeRange | Label | HeadPose | Landmarks106 | Quality


@dataclass
class FaceResult:
    """One face in original-image pixels (after EXIF orientation)."""

    box: tuple[int, int, int, int]  # x_min, y_min, x_max, y_max
    probability: float
    landmarks: np.ndarray  # float32 [5, 2]
    embedding: np.ndarray | None = None
    plugins: dict[str, PluginResult] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class ImageResult:
    faces: list[FaceResult]
    image_width: int
    image_height: int
    plugins_versions: dict[str, str]
    embedding_batch_size: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)

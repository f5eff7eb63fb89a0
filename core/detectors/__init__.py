"""Face detectors by pack kind."""

from __future__ import annotations

from pathlib import Path

from core.detectors.base import Detector
from core.detectors.scrfd import ScrfdDetector
from core.detectors.yunet import YunetDetector
from core.model_pack import DetectorSpec
from core.runtime import SessionFactory

_KINDS: dict[str, type[Detector]] = {"scrfd": ScrfdDetector, "yunet": YunetDetector}


def build_detector(spec: DetectorSpec, model_path: Path, sessions: SessionFactory, max_side: int) -> Detector:
    return _KINDS[spec.kind].create(spec, model_path, sessions, max_side)

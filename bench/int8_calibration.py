"""Writes a pack's int8 calibration: the activation ranges its recognizer runs with in int8 (core.int8).

The faces are every face the pack's detector finds in CompreFace's samples and the group photos of
../shared/data (81 faces, in float32 on onnxruntime), aligned and normalised by the server's own code. None of
them is an LFW image, so the accuracy gates of bench/quantized.py, measured on LFW-dev, are measured on faces the
calibration never saw. The ranges are those of the graph OpenVINO runs (core.recognizer.runnable_graph). The file
goes beside the pack (``<pack>-int8-calibration.json``), which names it as ``recognizer.int8_calibration``; it
holds numbers only, and the same faces always give the same file.

    python -m bench.int8_calibration [--pack default]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench.accuracy import detection_images
from core.alignment import arcface_crop
from core.detectors import build_detector
from core.images import decode_image
from core.int8 import write_calibration
from core.model_fetch import ensure_models
from core.model_pack import PACKS_DIR, load_pack
from core.recognizer import Recognizer, runnable_graph
from core.runtime import RuntimeOptions, SessionFactory
from core.settings import CoreSettings
from tests.support.paths import MODELS_DIR


def calibration_inputs(pack_name: str) -> list[np.ndarray]:
    """The recognizer's input tensor [1, ...] of every face found in the calibration images."""
    pack = load_pack(pack_name)
    paths = ensure_models(pack, MODELS_DIR, fetch=False)
    sessions = SessionFactory(RuntimeOptions(threads=1, use_gpu=False, backend="onnxruntime"))
    settings = CoreSettings(model_pack=pack_name, models_dir=MODELS_DIR)
    detector = build_detector(pack.detector, paths["detector"], sessions.for_role("detector"),
                              settings.img_length_limit)
    recognizer = Recognizer(pack.recognizer, paths["calculator"], sessions.for_role("calculator"))
    inputs = []
    for image_path, expected, _ in detection_images(quick=False):
        if not expected:
            continue
        pixels = decode_image(image_path.read_bytes(), settings.max_image_pixels, settings.decode_min_long_side).pixels
        for face in detector.detect(pixels, pack.detector.default_threshold):
            crop = arcface_crop(pixels, face.landmarks, pack.recognizer.crop_size)
            inputs.append(recognizer.input_tensor(crop[np.newaxis]))
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default="default")
    arguments = parser.parse_args()
    pack = load_pack(arguments.pack)
    inputs = calibration_inputs(arguments.pack)
    model = MODELS_DIR / pack.recognizer.file
    target = PACKS_DIR / f"{arguments.pack}-int8-calibration.json"
    write_calibration(runnable_graph(model, openvino=True), inputs, target)
    print(f"{len(inputs)} faces; written to {target}; the pack names it as recognizer.int8_calibration = "
          f"\"{target.name}\"")


if __name__ == "__main__":
    main()

"""Accuracy gates of the inference configurations, measured through the server's own pipeline.

Each configuration (today's onnxruntime float32, OpenVINO float32; where the CPU computes bfloat16 natively
OpenVINO with the recognizer in bfloat16, and with the detector too, its landmark convolutions in float32;
where it has int8 dot products, the recognizer in int8 with the pack's calibration) runs core.pipeline.FacePipeline in this process, as `python -m core` does, on ../shared/data:

- LFW dev: every image's largest face at det_prob_threshold 0.3 (as bench.calibrate); the official pairs
  give the 10-fold verification accuracy (cosine score, threshold chosen on nine folds), all pairs the TAR
  at FAR 1e-4; identification rank-1 with the first image of each multi-image identity enrolled and the
  others as probes (nearest enrolled embedding); the similarity coefficients in use checked on all pairs
  (does 0.5 still sit at FAR 1e-4?) and fitted again.
- Detection at the pack's default threshold: CompreFace's samples (a face is found when a box holds its
  annotated nose tip), the group photos (annotated with a count) and the no-face images (every face extra).

A configuration passes when, against today's float configuration, verification is within 0.1 point, TAR at
FAR 1e-4 within 0.3 point, rank-1 within 0.2 point, and detection misses no more and finds no more extra
faces. Each configuration also gets the TAR at FAR 1e-4 of the pairs with one image embedded in today's float
configuration (`tar_at_far_1e-4_against_float_gallery`: collections enrolled before a change of configuration).
Faces/s and CPU time per face come from bench.core_bench's report of the same run. The fastest configuration
that passes is the one with the least CPU time per face: what the cores do alone, which contention on a shared
machine only adds to, while the best faces/s of two configurations close in speed swap places from run to run.
Writes quantized.json.

    python -m bench.quantized [--quick] [--core-json PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import calibrate
from bench.accuracy import detection_images, nose_matches
from bench.lfw import LFW_DIR, images_by_identity, official_pairs
from bench.output import results_dir, write_json
from bench.stats import tar_at_far, ten_fold_accuracy
from core.cpu_features import has_native_bf16, has_native_int8, inference_features
from core.model_fetch import ensure_models
from core.model_pack import load_pack
from core.pipeline import FacePipeline, ImageRequest
from core.runtime import SessionFactory, choose_configuration, runtime_options
from core.settings import CoreSettings
from tests.support.paths import MODELS_DIR

PACK = "default"
WORKERS = 2
QUICK_IMAGES = 60
LFW_REQUEST = {"limit": 1, "det_prob_threshold": 0.3}
# Largest loss against today's float configuration that still passes (absolute, as a share).
GATES = {"verify_accuracy": 0.001, "tar_at_far_1e-4": 0.003, "rank1": 0.002}


def candidates() -> dict[str, dict[str, object]]:
    """Configuration name -> its settings; bf16 and int8 ones only where this CPU computes them natively."""
    found: dict[str, dict[str, object]] = {
        "onnxruntime_f32": {"inference_backend": "onnxruntime"},
        "openvino_f32": {"inference_backend": "openvino", "inference_precision": "f32"},
    }
    if has_native_bf16():
        # The default before the detector's landmark convolutions were kept in float32, and before int8.
        found["openvino_bf16_recognizer"] = {"inference_backend": "openvino",
                                             "model_precisions": {"detector": "f32", "calculator": "bf16"}}
        found["openvino_bf16"] = {"inference_backend": "openvino", "model_precisions": {"calculator": "bf16"}}
    if has_native_int8():
        found["openvino_int8_recognizer"] = {"inference_backend": "openvino"}
    return found


def configuration_of(options: dict[str, object]) -> tuple[str, str]:
    """The backend and precision a server started with these settings runs on this CPU."""
    settings = CoreSettings(model_pack=PACK, models_dir=MODELS_DIR, **options)
    chosen = choose_configuration(runtime_options(settings, load_pack(PACK)))
    return chosen.backend, chosen.precision


def build_pipeline(options: dict[str, str]) -> FacePipeline:
    settings = CoreSettings(model_pack=PACK, models_dir=MODELS_DIR, batching=False, **options)
    pack = load_pack(PACK)
    return FacePipeline(settings, pack, ensure_models(pack, MODELS_DIR, fetch=False),
                        SessionFactory(runtime_options(settings, pack)))


def embed_images(pipeline: FacePipeline, paths: list[str]) -> dict[str, np.ndarray]:
    """Path -> embedding of the largest face, for the images where a face was found."""
    def embed(path: str) -> np.ndarray | None:
        request = ImageRequest(image=(LFW_DIR / path).read_bytes(), face_plugins=["calculator"], **LFW_REQUEST)
        faces = pipeline.process(request).faces
        return np.asarray(faces[0].embedding, np.float32) if faces else None

    with ThreadPoolExecutor(WORKERS) as pool:
        return {path: vector for path, vector in zip(paths, pool.map(embed, paths)) if vector is not None}


def verification_accuracy(embeddings: dict[str, np.ndarray], paths: set[str]) -> tuple[float, int]:
    """LFW's 10-fold accuracy on the official pairs among ``paths`` (a pair with a faceless image scores -1),
    and the pairs used."""
    pairs = [pair for pair in official_pairs() if pair.path1 in paths and pair.path2 in paths]
    scores = np.array([float(embeddings[p.path1] @ embeddings[p.path2])
                       if p.path1 in embeddings and p.path2 in embeddings else -1.0 for p in pairs])
    same = np.array([pair.same for pair in pairs])
    folds = np.array([pair.fold for pair in pairs])
    return ten_fold_accuracy(scores, same, folds)["accuracy"], len(pairs)


def rank1(embeddings: dict[str, np.ndarray], by_identity: dict[str, list[str]]) -> tuple[float, int]:
    """Share of probes whose nearest enrolled embedding is their own identity's, and the probe count."""
    enrolled: dict[str, str] = {}
    for name, paths in by_identity.items():
        with_face = [path for path in paths if path in embeddings]
        if len(paths) > 1 and with_face:
            enrolled[name] = with_face[0]
    names = list(enrolled)
    gallery = np.stack([embeddings[enrolled[name]] for name in names])
    probes = [(path, name) for name in names for path in by_identity[name]
              if path != enrolled[name] and path in embeddings]
    best = np.argmax(np.stack([embeddings[path] for path, _ in probes]) @ gallery.T, axis=1)
    return float(np.mean([names[index] == name for index, (_, name) in zip(best, probes)])), len(probes)


def detection(pipeline: FacePipeline, quick: bool) -> dict[str, int]:
    """Faces detected, annotated faces found and missed, and extra faces, at the pack's default threshold."""
    totals = {"annotated": 0, "detected": 0, "found": 0, "missed": 0, "extra": 0}
    for path, expected, noses in detection_images(quick):
        faces = pipeline.process(ImageRequest(image=path.read_bytes())).faces
        boxes = [dict(zip(("x_min", "y_min", "x_max", "y_max"), face.box)) for face in faces]
        found = nose_matches(boxes, noses) if noses is not None else min(expected, len(boxes))
        for key, value in (("annotated", expected), ("detected", len(boxes)), ("found", found),
                           ("missed", expected - found), ("extra", len(boxes) - found)):
            totals[key] += value
    return totals


def measure(options: dict[str, str], paths: list[str], by_identity: dict[str, list[str]],
            quick: bool) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """One configuration's accuracy figures, and its embeddings."""
    started = time.perf_counter()
    pipeline = build_pipeline(options)
    configuration = pipeline.sessions.configuration
    try:
        embeddings = embed_images(pipeline, paths)
        detected = detection(pipeline, quick)
    finally:
        pipeline.close()
    identity_of = {path: name for name, files in by_identity.items() for path in files}
    ordered = sorted(embeddings)
    genuine, impostor = calibrate.all_pair_distances(np.stack([embeddings[p] for p in ordered]),
                                                     [identity_of[p] for p in ordered])
    accuracy, pairs = verification_accuracy(embeddings, set(paths))
    top1, probes = rank1(embeddings, by_identity)
    tar = tar_at_far(-genuine, -impostor, 1e-4)
    recognizer = load_pack(PACK).recognizer
    current = calibrate.evaluate(genuine, impostor, recognizer.similarity_c0, recognizer.similarity_c1)
    fitted_c0, fitted_c1 = calibrate.fit_coefficients(genuine, impostor) if not quick else (None, None)
    return {
        "settings": options, "backend": configuration.backend, "precision": configuration.precision,
        "verify_accuracy": round(accuracy, 5), "tar_at_far_1e-4": None if tar is None else round(tar, 5),
        "rank1": round(top1, 5),
        "detected": detected["detected"], "missed": detected["missed"], "extra": detected["extra"],
        "detection": detected,
        "lfw": {"images": len(paths), "with_face": len(embeddings), "official_pairs": pairs, "probes": probes,
                "genuine_pairs": len(genuine), "impostor_pairs": len(impostor)},
        "similarity": {"c0": recognizer.similarity_c0, "c1": recognizer.similarity_c1,
                       "far_at_0_5": current["far_at_0_5"], "impostors_at_or_above_0_5": current["impostors_at_or_above_0_5"],
                       "genuine_share_at_0_5": current["genuine_share_at_0_5"],
                       "fitted_c0": fitted_c0, "fitted_c1": fitted_c1},
        "seconds": round(time.perf_counter() - started, 1),
    }, embeddings


def gate_report(candidate: dict[str, object], reference: dict[str, object]) -> dict[str, dict[str, object]]:
    """Each gate: the candidate's value, today's, the difference and whether it passes."""
    report = {}
    for key, allowed in GATES.items():
        if candidate[key] is None or reference[key] is None:  # too few pairs (quick runs) to resolve the FAR
            report[key] = {"value": candidate[key], "float": reference[key], "difference": None,
                           "allowed_loss": allowed, "passed": True}
            continue
        difference = candidate[key] - reference[key]
        report[key] = {"value": candidate[key], "float": reference[key], "difference": round(difference, 5),
                       "allowed_loss": allowed, "passed": difference >= -allowed}
    for key in ("missed", "extra"):
        difference = candidate[key] - reference[key]
        report[key] = {"value": candidate[key], "float": reference[key], "difference": difference,
                       "allowed_loss": 0, "passed": difference <= 0}
    return report


def failed_gates(gates: dict[str, dict[str, object]]) -> list[str]:
    """Which gates failed and by how much, in words."""
    return [f"{key} {gate['value']} against {gate['float']} ({gate['difference']:+}, allowed {gate['allowed_loss']})"
            for key, gate in gates.items() if not gate["passed"]]


@dataclass(frozen=True)
class Speed:
    faces_per_second: float  # the best level's fastest run
    cpu_ms_per_face: float   # the least over every level's runs


def speeds(core: dict | None) -> dict[tuple[str, str], Speed]:
    """(backend, precision) -> the speed of the first core-bench configuration that ran it."""
    found: dict[tuple[str, str], Speed] = {}
    for name in (core or {}).get("configurations", []):
        runtime = core[name]["runtime"]
        key = (runtime["backend"], runtime["precision"])
        if key not in found:
            levels = core[name]["levels"].values()
            found[key] = Speed(max(row["faces_per_second"] for row in levels),
                               min(row["least_cpu_ms_per_face"] for row in levels))
    return found


def embedding_agreement(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, float]:
    """Cosine between the two configurations' embeddings of the same images (both found a face)."""
    common = sorted(set(reference) & set(other))
    cosines = np.array([float(reference[path] @ other[path]) for path in common])
    return {"images": len(common), "cosine_mean": round(float(cosines.mean()), 6),
            "cosine_min": round(float(cosines.min()), 6)}


def mixed_tar(gallery: dict[str, np.ndarray], probes: dict[str, np.ndarray],
              by_identity: dict[str, list[str]]) -> float | None:
    """TAR at FAR 1e-4 over every pair with one image embedded by today's float configuration and the other by
    the candidate: how collections enrolled before a change of configuration fare after it."""
    identity_of = {path: name for name, files in by_identity.items() for path in files}
    common = sorted(set(gallery) & set(probes))
    genuine, impostor = calibrate.all_pair_distances(np.stack([gallery[path] for path in common]),
                                                     [identity_of[path] for path in common],
                                                     np.stack([probes[path] for path in common]))
    tar = tar_at_far(-genuine, -impostor, 1e-4)
    return None if tar is None else round(tar, 5)


def measure_all(quick: bool) -> dict[str, dict[str, object]]:
    """Every configuration's accuracy figures, gates and agreement with today's float embeddings."""
    by_identity = images_by_identity()
    paths = [path for files in by_identity.values() for path in files]
    if quick:
        paths = paths[:QUICK_IMAGES]
        by_identity = {name: [p for p in files if p in set(paths)] for name, files in by_identity.items()}
        by_identity = {name: files for name, files in by_identity.items() if files}
    measured, embeddings = {}, {}
    chosen = candidates()
    if quick:  # today's and the new default only
        default = configuration_of({})
        chosen = {name: options for name, options in chosen.items()
                  if name == "onnxruntime_f32" or configuration_of(options) == default}
    for name, options in chosen.items():
        print(f"quantized: {name}", flush=True)
        measured[name], embeddings[name] = measure(options, paths, by_identity, quick)
    for name, figures in measured.items():
        figures["gates"] = gate_report(figures, measured["onnxruntime_f32"])
        figures["failed_gates"] = failed_gates(figures["gates"])
        figures["gates_passed"] = not figures["failed_gates"]
        figures["embeddings_vs_float"] = embedding_agreement(embeddings["onnxruntime_f32"], embeddings[name])
        figures["tar_at_far_1e-4_against_float_gallery"] = mixed_tar(embeddings["onnxruntime_f32"], embeddings[name],
                                                                     by_identity)
    return measured


def run(quick: bool, core: dict | None, measured: dict[str, dict[str, object]] | None = None) -> dict[str, object]:
    """Every configuration's gates (measured, or taken from an earlier run) and speed; quantized.json's content."""
    measured = measured or measure_all(quick)
    reference = measured["onnxruntime_f32"]
    measured_speeds = speeds(core)
    for figures in measured.values():
        speed = measured_speeds.get((figures["backend"], figures["precision"]))
        figures["faces_per_second"] = speed and speed.faces_per_second
        figures["cpu_ms_per_face"] = speed and speed.cpu_ms_per_face
    backend, precision = configuration_of({})
    default_name = next(name for name, figures in measured.items()
                        if (figures["backend"], figures["precision"]) == (backend, precision))
    default = measured[default_name]
    passing = [name for name, figures in measured.items() if figures["gates_passed"] and figures["faces_per_second"]]
    fastest = min(passing, key=lambda name: measured[name]["cpu_ms_per_face"], default=None)
    keys = ("verify_accuracy", "tar_at_far_1e-4", "rank1", "detected", "missed", "extra", "faces_per_second")
    insightface = (core or {}).get("baseline_faces_per_second")
    return {
        "pack": PACK,
        "float": {key: reference[key] for key in keys},
        "quantized": {key: default[key] for key in keys},
        "gates_passed": default["gates_passed"],
        "default_pack": PACK,
        "speedup_vs_float": _ratio(default["faces_per_second"], reference["faces_per_second"]),
        "speedup_vs_insightface": _ratio(default["faces_per_second"], insightface),
        "cpu_features": inference_features(),
        "backend": backend,
        "precision": precision,
        "default_configuration": default_name,
        "default_is_fastest_passing": fastest == default_name,
        "fastest_passing": fastest,
        "gates": {"allowed_loss": GATES, "detection": "no more missed and no more extra faces than float"},
        "configurations": measured,
        "quick": quick,
        "method": __doc__.split("\n\n", 1)[1].rsplit("\n\n", 1)[0].strip(),
    }


def _ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value and reference else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"the first {QUICK_IMAGES} LFW images, 4 detection images")
    parser.add_argument("--core-json", type=Path, help="core.json of bench.core_bench for faces/s (default: the "
                                                       "results folder's)")
    parser.add_argument("--out", type=Path, help="folder for quantized.json (default bench/results)")
    parser.add_argument("--gates-from", type=Path, help="an earlier quantized.json whose accuracy figures to keep "
                                                        "(only the speeds and the verdict are taken again)")
    arguments = parser.parse_args()
    out = results_dir(arguments.out, arguments.quick)
    core_path = arguments.core_json or out / "core.json"
    core = json.loads(core_path.read_text()) if core_path.is_file() else None
    earlier = json.loads(arguments.gates_from.read_text())["configurations"] if arguments.gates_from else None
    result = run(arguments.quick, core, earlier)
    path = write_json(out, "quantized.json", result)
    print(json.dumps({key: value for key, value in result.items() if key not in ("configurations", "method")},
                     indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

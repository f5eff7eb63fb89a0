"""Face quality (LightQNet) on LFW-dev: the calibration of the 0-1 scale, the error-versus-reject
curve, degraded copies, and what the enrolment gate does to false matches.

    python -m bench.quality [--write]   -> bench/results/quality.json

* Calibration: the raw score below which 1, 2, 5, ... 100 % of LFW-dev faces fall, and the
  Laplacian sharpness below which 1 % fall (the ``blur`` reason); --write stores both in every
  pack (core/plugins/quality.py turns them into the documented scale).
* Error versus reject (default recognizer): all genuine and impostor pairs of LFW-dev faces, the
  threshold fixed at FMR 1e-3 over every impostor pair, a pair's quality the lower of its two
  faces'; FNMR after rejecting the lowest-quality 0, 5, 10, 20 % (and every 5 % to 30 %) of pairs.
* Degraded copies: every 10th LFW-dev image, blurred, shrunk, JPEG-compressed, noised and half
  occluded, scored at the original's landmarks: mean quality and share refused by the gate.
* Gate effect: the first photo of each of GALLERY identities enrolled as it is, blurred (sigma 3)
  or shrunk x8; the single-photo identities (never enrolled) as strangers and the enrolled
  identities' other photos as genuine probes: strangers and genuine named at similarity 0.5, with
  every photo enrolled and with the photos under the default minimum quality refused.
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np

from bench import lfw_faces
from bench.degrade import blur, degradations, downscale
from bench.lfw import LFW_DIR
from bench.open_set import similarities
from bench.output import results_dir, write_json
from core.alignment import arcface_crop
from core.images import decode_image
from core.model_pack import PACKS_DIR
from core.plugins.quality import scaled_quality, sharpness

PERCENTS = (1, 2, 5, 10, 25, 50, 75, 90, 95, 99, 100)
REJECT_SHARES = tuple(share / 100 for share in range(0, 35, 5))
FMR = 1e-3
GALLERY = 826
DEFAULT_MIN_QUALITY = 0.5
SAMPLE_EVERY = 10


def calibration(faces: dict[str, np.ndarray]) -> dict[str, object]:
    raw = faces["raw_quality"]
    # "lower": a level no LFW-dev face sits under by interpolation, so at most 1 % fall below 0.5.
    # Rounded down, so that the face at the 1st percentile stays at or above 0.5.
    table = [[percent, float(np.floor(np.percentile(raw, percent, method="lower") * 1e5) / 1e5)]
             for percent in PERCENTS]
    return {"faces": len(raw), "raw_at_percent": table,
            "min_sharpness": round(float(np.percentile(faces["sharpness"], 1)), 1),
            "raw_p5_median_p95": [round(float(np.percentile(raw, q)), 4) for q in (5, 50, 95)]}


def scaled(faces: dict[str, np.ndarray], table: list[list[float]]) -> np.ndarray:
    array = np.asarray(table, dtype=np.float64)
    return scaled_quality(faces["raw_quality"], array[:, 0], array[:, 1])


def error_versus_reject(faces: dict[str, np.ndarray], quality: np.ndarray) -> dict[str, object]:
    unit = faces["embedding"].astype(np.float32)
    labels = faces["identity"]
    upper = np.triu_indices(len(unit), k=1)
    cosines = (unit @ unit.T)[upper]
    same = (labels[:, None] == labels[None, :])[upper]
    pair_quality = np.minimum(quality[:, None], quality[None, :])[upper]
    impostor = cosines[~same]
    threshold = float(np.partition(impostor, len(impostor) - int(FMR * len(impostor)))[len(impostor) - int(FMR * len(impostor))])
    genuine, genuine_quality = cosines[same], pair_quality[same]
    order = np.argsort(genuine_quality, kind="stable")
    curve = []
    for share in REJECT_SHARES:
        kept = order[int(round(share * len(order))):]
        curve.append({"rejected": share, "fnmr": round(float(np.mean(genuine[kept] < threshold)), 5),
                      "false_non_matches": int(np.sum(genuine[kept] < threshold)), "genuine_pairs": len(kept)})
    fnmr = np.array([point["fnmr"] for point in curve])
    return {"fmr": FMR, "cosine_threshold": round(threshold, 5), "genuine_pairs": int(same.sum()),
            "impostor_pairs": len(impostor), "curve": curve,
            "area_normalised": round(float(np.trapezoid(fnmr, REJECT_SHARES) / (fnmr[0] * REJECT_SHARES[-1])), 3)
            if fnmr[0] else None}


def sample_faces(pipeline, paths: list[str]):
    for relative in paths:
        image = decode_image((LFW_DIR / relative).read_bytes(), 10 ** 8, 0).pixels
        face = lfw_faces.largest_face(pipeline, image)
        if face is not None:
            yield image, face


def degraded_copies(pipeline, paths: list[str], table: list[list[float]]) -> dict[str, object]:
    plugin = pipeline.plugins["quality"]
    array = np.asarray(table, dtype=np.float64)
    rng = np.random.default_rng(0)
    raw: dict[str, list[float]] = {}
    for image, face in sample_faces(pipeline, paths):
        edits = {"original": lambda picture: picture, **degradations(face.box, rng)}
        for name, edit in edits.items():
            aligned = arcface_crop(edit(image), face.landmarks, 112)
            raw.setdefault(name, []).append(float(plugin.raw_scores(aligned[None])[0]))
    result = {}
    for name, scores in raw.items():
        values = scaled_quality(np.array(scores), array[:, 0], array[:, 1])
        result[name] = {"faces": len(scores), "mean_raw": round(float(np.mean(scores)), 4),
                        "mean_quality": round(float(np.mean(values)), 4),
                        "refused_at_default": round(float(np.mean(values < DEFAULT_MIN_QUALITY)), 4)}
    return result


def gate_effect(pipeline, faces: dict[str, np.ndarray], table: list[list[float]]) -> dict[str, object]:
    """Strangers and genuine probes named at 0.5 against galleries of clean, blurred or tiny photos."""
    array = np.asarray(table, dtype=np.float64)
    identity, paths = faces["identity"], faces["path"]
    names, counts = np.unique(identity, return_counts=True)
    enrolled = [name for name, count in zip(names, counts) if count > 1][:GALLERY]
    first = {name: int(np.flatnonzero(identity == name)[0]) for name in enrolled}
    singles = set(names[counts == 1])
    strangers = np.array([i for i, name in enumerate(identity) if name in singles])
    genuine = np.array([i for i, name in enumerate(identity) if name in first and first[name] != i])
    c0, c1 = pipeline.pack.recognizer.similarity_c0, pipeline.pack.recognizer.similarity_c1
    plugin = pipeline.plugins["quality"]
    edits = {"original": lambda picture: picture, "blur_sigma3": lambda picture: blur(picture, 3.0),
             "downscale_x8": lambda picture: downscale(picture, 8)}
    gallery: dict[str, tuple[list[np.ndarray], list[float]]] = {name: ([], []) for name in edits}
    for image, face in sample_faces(pipeline, [str(paths[first[name]]) for name in enrolled]):
        for name, edit in edits.items():
            aligned = arcface_crop(edit(image), face.landmarks, 112)
            gallery[name][0].append(pipeline.recognizer.embed(aligned[None])[0])
            gallery[name][1].append(float(plugin.raw_scores(aligned[None])[0]))
    owners = np.array([identity[first[name]] for name in enrolled])
    result = {"gallery_identities": len(enrolled), "strangers": len(strangers), "genuine_probes": len(genuine)}
    for name, (vectors, raw) in gallery.items():
        quality = scaled_quality(np.array(raw), array[:, 0], array[:, 1])
        for gated in (False, True):
            keep = quality >= DEFAULT_MIN_QUALITY if gated else np.ones(len(quality), bool)
            matrix = np.array(vectors)[keep]
            stranger_best = similarities((faces["embedding"][strangers] @ matrix.T).max(axis=1), c0, c1)
            genuine_scores = faces["embedding"][genuine] @ matrix.T
            right = owners[keep][genuine_scores.argmax(axis=1)] == identity[genuine]
            genuine_named = right & (similarities(genuine_scores.max(axis=1), c0, c1) >= 0.5)
            result[f"{name}{'_gated' if gated else ''}"] = {
                "enrolled": int(keep.sum()),
                "strangers_named_at_0_5": round(float(np.mean(stranger_best >= 0.5)), 4),
                "genuine_named_correctly_at_0_5": round(float(np.mean(genuine_named)), 4),
            }
    return result


def write_pack_calibration(table: list[list[float]], min_sharpness: float) -> None:
    for path in sorted(PACKS_DIR.glob("*.toml")):
        text, replaced = re.subn(r"min_sharpness = [0-9.]+, raw_at_percent = \[.*?\]\] \}",
                                 f"min_sharpness = {min_sharpness}, raw_at_percent = {table} }}", path.read_text())
        if replaced != 1:
            raise ValueError(f"{path} has no quality calibration to replace")
        path.write_text(text)


def run(write: bool) -> dict[str, object]:
    started = time.perf_counter()
    faces = lfw_faces.load()
    calibrated = calibration(faces)
    if write:
        write_pack_calibration(calibrated["raw_at_percent"], calibrated["min_sharpness"])
    table = calibrated["raw_at_percent"]
    quality = scaled(faces, table)
    pipeline = lfw_faces.load_pipeline()
    sample = [str(path) for path in faces["path"][::SAMPLE_EVERY]]
    result = {
        "model": "lightqnet-dm100", "recognizer": pipeline.pack.recognizer.name,
        "calibration": calibrated,
        "default_min_quality": DEFAULT_MIN_QUALITY,
        "lfw_dev_refused_at_default": round(float(np.mean(quality < DEFAULT_MIN_QUALITY)), 5),
        "lfw_dev_reasons": {"face_too_small": int(np.sum(faces["box_side"] < 40)),
                            "strong_head_pose": int(np.sum((np.abs(faces["yaw"]) > 45) | (np.abs(faces["pitch"]) > 30))),
                            "blur": int(np.sum(faces["sharpness"] < calibrated["min_sharpness"]))},
        "error_versus_reject": error_versus_reject(faces, quality),
        "degraded": degraded_copies(pipeline, sample, table),
        "gate": gate_effect(pipeline, faces, table),
    }
    pipeline.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="store the calibration in every pack")
    arguments = parser.parse_args()
    write_json(results_dir(None, False), "quality.json", run(arguments.write))


if __name__ == "__main__":
    main()

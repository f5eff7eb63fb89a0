"""Accuracy through the public REST API of a running platform, on ../shared/data.

- Verification: the official LFW pairs of the development half through ``/api/v1/verification/verify``,
  10-fold as LFW prescribes (threshold chosen on nine folds, accuracy measured on the tenth).
- Identification through ``/api/v1/recognition/recognize``: the first image that the api accepts for
  enrolment (one face) of every multi-image identity is enrolled, the others are probes (rank-1);
  single-image identities are strangers, never enrolled (how many come back named at >= 0.5).
- All-pairs ROC and calibration: the embeddings the api returns (``face_plugins=calculator``) for
  every dev image form about 4,300 genuine and 5.2 million impostor pairs, enough to measure TAR at
  FAR 1e-3 and to check that similarity 0.5 sits at FAR 1e-4 (bench/calibrate.py).
- Detection through ``/api/v1/detection/detect`` at the default threshold: on CompreFace's samples a
  face is found when a box holds its annotated nose tip; the group photos are annotated with a count
  only (found = detected up to that count); every face on the no-face images is extra.

LFW calls ask for the largest face (``limit=1``) at ``det_prob_threshold=0.3``, as the models'
published protocols do; enrolment uses the api's defaults (and so refuses images with two faces).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import requests

from bench import calibrate
from bench.deployment import Deployment
from bench.lfw import Pair, images_by_identity, official_pairs, read_image
from bench.stats import roc, roc_auc, tar_at_far, ten_fold_accuracy
from core.model_pack import load_pack
from tests.support.paths import DATA_DIR

WORKERS = 4
LFW_PARAMS = {"limit": 1, "det_prob_threshold": 0.3}
QUICK_PAIRS_EVERY, QUICK_IDENTITIES, QUICK_STRANGERS = 20, 24, 16
SAMPLES_DIR = DATA_DIR / "compreface-samples"
GROUP_COUNTS = {"insightface_t1.jpg": 6, "solvay_conference_1927.png": 29}  # data MANIFEST.md
# What the models' publishers report (see ../shared/reference/peers.md and ../shared/models/MANIFEST.md).
PUBLISHED = {
    "insightface.arcface_w600k_mbf": {
        "model": "InsightFace w600k_mbf (MobileFaceNet, WebFace600K; buffalo_s / buffalo_sc)",
        "lfw_accuracy": 0.9970, "ijbc_tar_at_far_1e-4": 0.9502,
        "source": "deepinsight/insightface python-package/README.md",
        "measured_on_lfw_dev_by_models_manifest": "99.80 +- 0.27 % (3,000 sampled pairs, 10-fold)"},
    "foamliu.mobilefacenet": {
        "model": "MobileFaceNet by foamliu (MS1M-refine, 128-d)", "lfw_accuracy": 0.9948,
        "source": "foamliu/MobileFaceNet README",
        "measured_on_lfw_dev_by_models_manifest": "99.37 +- 0.28 % (3,000 sampled pairs); 99.26 % official pairs"},
    "insightface.arcface_w600k_r50": {
        "model": "InsightFace w600k_r50 (ResNet-50, WebFace600K; buffalo_l)", "lfw_accuracy": 0.9983,
        "ijbc_tar_at_far_1e-4": 0.9725, "source": "deepinsight/insightface python-package/README.md"},
    "insightface.scrfd_500m_bnkps": {"wider_face_easy_medium_hard": [0.9097, 0.8844, 0.6949],
                                     "source": "deepinsight/insightface detection/scrfd/README.md"},
    "opencv_zoo.yunet": {"wider_face_easy_medium_hard": [0.8844, 0.8656, 0.7503],
                         "source": "opencv/opencv_zoo models/face_detection_yunet/README.md"},
    "insightface.scrfd_10g_bnkps": {"wider_face_easy_medium_hard": [0.9540, 0.9401, 0.8280],
                                    "source": "deepinsight/insightface detection/scrfd/README.md"},
}

T = TypeVar("T")
R = TypeVar("R")


class Client:
    """Calls the api from several threads, each with its own keep-alive connection."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._local = threading.local()

    def post(self, path: str, service: str, **arguments: object) -> requests.Response:
        if not hasattr(self._local, "session"):
            self._local.session = self.deployment.session(1)
        return self.deployment.post(self._local.session, path, service, **arguments)

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(function, items))


@dataclass
class Probe:
    path: str
    identity: str
    enrolled: bool
    subject: str | None  # best candidate
    similarity: float
    embedding: list[float] | None


def verify_pairs(client: Client, pairs: Sequence[Pair]) -> tuple[np.ndarray, list[str]]:
    """The similarity the api gives each pair (-1 where it answered an error), and the errors."""
    def verify(pair: Pair) -> tuple[float, str | None]:
        answer = client.post("/api/v1/verification/verify", "verification", params=LFW_PARAMS,
                             files={"source_image": ("a.jpg", read_image(pair.path1)),
                                    "target_image": ("b.jpg", read_image(pair.path2))})
        if answer.status_code != 200:
            return -1.0, f"{pair.path1} / {pair.path2}: {answer.status_code} {answer.text[:120]}"
        return float(answer.json()["result"][0]["face_matches"][0]["similarity"]), None

    results = client.map(verify, pairs)
    return np.array([score for score, _ in results]), [error for _, error in results if error]


def verification(pairs: Sequence[Pair], scores: np.ndarray, errors: list[str]) -> dict[str, object]:
    """LFW's 10-fold accuracy, and what 0.5 does, on the api's similarity for each pair."""
    same = np.array([pair.same for pair in pairs])
    folds = np.array([pair.fold for pair in pairs])
    ten_fold = ten_fold_accuracy(scores, same, folds)
    return {
        "pairs": len(pairs), "genuine_pairs": int(same.sum()), "impostor_pairs": int((~same).sum()),
        "errors": errors,
        "accuracy": round(ten_fold["accuracy"], 5), "accuracy_std": round(ten_fold["accuracy_std"], 5),
        "fold_accuracies": ten_fold["fold_accuracies"], "fold_thresholds": ten_fold["fold_thresholds"],
        "accuracy_at_0_5": round(float(np.mean((scores >= 0.5) == same)), 5),
        "genuine_share_at_0_5": round(float(np.mean(scores[same] >= 0.5)), 5),
        "impostors_at_or_above_0_5": int(np.sum(scores[~same] >= 0.5)),
        "roc_auc": round(roc_auc(scores[same], scores[~same]), 5),
        "roc": roc(scores[same], scores[~same]),
        "scores": {"genuine": sorted(scores[same].round(5).tolist()),
                   "impostor": sorted(scores[~same].round(5).tolist())},
    }


def enrol(client: Client, identities: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """Per identity, the first image the api enrols (one face); identity -> that image, and refusals."""
    def first_accepted(item: tuple[str, list[str]]) -> tuple[str | None, list[str]]:
        name, paths = item
        refused = []
        for path in paths:
            answer = client.post("/api/v1/recognition/faces", "recognition", params={"subject": name},
                                 files={"file": ("face.jpg", read_image(path))})
            if answer.status_code == 201:
                return path, refused
            refused.append(f"{path}: {answer.json().get('message', answer.status_code)}")
        return None, refused

    results = client.map(first_accepted, identities.items())
    enrolled = {name: path for name, (path, _) in zip(identities, results) if path}
    return enrolled, [reason for _, refused in results for reason in refused]


def embed(client: Client, path: str) -> list[float] | None:
    answer = client.post("/api/v1/detection/detect", "detection", params={**LFW_PARAMS, "face_plugins": "calculator"},
                         files={"file": ("face.jpg", read_image(path))})
    return answer.json()["result"][0]["embedding"] if answer.status_code == 200 else None


def recognise(client: Client, path: str, identity: str, enrolled: bool) -> Probe:
    answer = client.post("/api/v1/recognition/recognize", "recognition",
                         params={**LFW_PARAMS, "prediction_count": 1, "face_plugins": "calculator"},
                         files={"file": ("face.jpg", read_image(path))})
    if answer.status_code != 200:
        return Probe(path, identity, enrolled, None, 0.0, None)
    face = answer.json()["result"][0]
    best = face["subjects"][0] if face["subjects"] else {"subject": None, "similarity": 0.0}
    return Probe(path, identity, enrolled, best["subject"], float(best["similarity"]), face["embedding"])


def identification(client: Client, by_identity: dict[str, list[str]]
                   ) -> tuple[dict[str, object], dict[str, list[float]]]:
    """Rank-1 of probes and strangers named at 0.5; also every image's embedding (path -> vector)."""
    multi = {name: paths for name, paths in by_identity.items() if len(paths) > 1}
    enrolled, refusals = enrol(client, multi)
    enrolled_embeddings = dict(zip(enrolled.values(), client.map(lambda path: embed(client, path), enrolled.values())))
    jobs = [(path, name, name in enrolled) for name, paths in by_identity.items() for path in paths
            if path != enrolled.get(name)]
    probes = client.map(lambda job: recognise(client, *job), jobs)
    known = [probe for probe in probes if probe.enrolled]
    strangers = [probe for probe in probes if len(by_identity[probe.identity]) == 1]
    stranger_scores = np.array([probe.similarity for probe in strangers])
    embeddings = {**{path: vector for path, vector in enrolled_embeddings.items() if vector},
                  **{probe.path: probe.embedding for probe in probes if probe.embedding}}
    result = {
        "enrolled_identities": len(enrolled), "multi_image_identities": len(multi),
        "enrolment_refusals": len(refusals), "enrolment_refusal_examples": refusals[:10],
        "probes": len(known), "probes_without_face": sum(probe.embedding is None for probe in known),
        "rank1": round(float(np.mean([probe.subject == probe.identity for probe in known])), 5),
        "rank1_named_at_0_5": round(float(np.mean([probe.subject == probe.identity and probe.similarity >= 0.5
                                                   for probe in known])), 5),
        "probes_named_wrongly_at_0_5": int(sum(probe.subject != probe.identity and probe.similarity >= 0.5
                                               for probe in known)),
        "strangers": len(strangers),
        "strangers_named_at_0_5": round(float(np.mean(stranger_scores >= 0.5)), 5),
        "stranger_best_similarity_p50_p90_p99": [round(float(np.percentile(stranger_scores, q)), 4)
                                                 for q in (50, 90, 99)],
        "expected_strangers_named_if_independent": round(1 - (1 - calibrate.TARGET_FAR) ** len(enrolled), 4),
    }
    return result, embeddings


def pair_distances(embeddings: dict[str, list[float]], identity_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Distances of every genuine and every impostor pair the embeddings form."""
    paths = sorted(embeddings)
    matrix = np.array([embeddings[path] for path in paths], np.float32)
    return calibrate.all_pair_distances(matrix, [identity_of[path] for path in paths])


def all_pairs(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, object]:
    """ROC over every pair (similarity falls as distance grows, so TAR at a FAR is the same on both scales)."""
    tars = {f"tar_at_far_{far:.0e}".replace("e-0", "e-"): tar_at_far(-genuine, -impostor, far)
            for far in (1e-3, 1e-4, 1e-5)}
    return {"genuine_pairs": len(genuine), "impostor_pairs": len(impostor),
            **{key: None if tar is None else round(tar, 5) for key, tar in tars.items()},
            "roc_auc": round(roc_auc(-genuine, -impostor), 6), "roc": roc(-genuine, -impostor)}


def formula_check(pairs: Sequence[Pair], scores: np.ndarray, embeddings: dict[str, list[float]],
                  c0: float, c1: float) -> float:
    """Largest difference between the api's verify similarity and the formula on the api's embeddings."""
    differences = []
    for pair, score in zip(pairs, scores):
        if score >= 0 and pair.path1 in embeddings and pair.path2 in embeddings:
            a, b = (np.array(embeddings[path]) / np.linalg.norm(embeddings[path]) for path in (pair.path1, pair.path2))
            differences.append(abs(calibrate.similarity(np.array([np.linalg.norm(a - b)]), c0, c1)[0] - score))
    return round(float(max(differences, default=0.0)), 6)


def nose_matches(boxes: list[dict[str, int]], noses: list[list[int]]) -> int:
    """Annotated faces found: noses inside a box, each box used once (the smallest that holds it)."""
    free = sorted(boxes, key=lambda box: (box["x_max"] - box["x_min"]) * (box["y_max"] - box["y_min"]))
    found = 0
    for x, y in noses:
        holder = next((box for box in free if box["x_min"] <= x <= box["x_max"] and box["y_min"] <= y <= box["y_max"]),
                      None)
        if holder is not None:
            free.remove(holder)
            found += 1
    return found


def detection_images(quick: bool) -> list[tuple[Path, int, list[list[int]] | None]]:
    """(image, annotated faces, their nose tips or None where only counted) of the detection sets."""
    annotations = json.loads((SAMPLES_DIR / "annotations.json").read_text())["images"]
    images = [(SAMPLES_DIR / name, len(item["noses"]), item["noses"]) for name, item in sorted(annotations.items())]
    images += [(DATA_DIR / "group-photos" / name, count, None) for name, count in GROUP_COUNTS.items()]
    images += [(path, 0, None) for path in sorted((DATA_DIR / "no-face").iterdir())]
    return images[:2] + images[-2:] if quick else images


def detection(client: Client, quick: bool) -> dict[str, object]:
    """Faces found / missed / extra per image set at the api's default detection threshold."""
    images = detection_images(quick)

    def boxes(path) -> list[dict[str, int]]:
        answer = client.post("/api/v1/detection/detect", "detection", files={"file": (path.name, path.read_bytes())})
        return [face["box"] for face in answer.json()["result"]] if answer.status_code == 200 else []

    per_image = {}
    totals: dict[str, dict[str, int]] = {}
    for (path, expected, noses), found_boxes in zip(images, client.map(lambda image: boxes(image[0]), images)):
        found = nose_matches(found_boxes, noses) if noses is not None else min(expected, len(found_boxes))
        row = {"annotated": expected, "detected": len(found_boxes), "found": found, "missed": expected - found,
               "extra": len(found_boxes) - found, "matched_by": "count" if noses is None else "nose tip in box"}
        per_image[f"{path.parent.name}/{path.name}"] = row
        total = totals.setdefault(path.parent.name, {"annotated": 0, "found": 0, "missed": 0, "extra": 0})
        for key in total:
            total[key] += row[key]
    return {"by_set": totals, "per_image": per_image}


def models_in_use(client: Client) -> dict[str, str]:
    """The detector and calculator the platform runs, from a ``status=true`` answer."""
    path = SAMPLES_DIR / "007_B.jpg"
    answer = client.post("/api/v1/detection/detect", "detection",
                         params={"status": "true", "face_plugins": "calculator"},
                         files={"file": (path.name, path.read_bytes())})
    return answer.json()["plugins_versions"]


def run(deployment: Deployment, quick: bool, pack_name: str = "default") -> dict[str, object]:
    """Every accuracy measurement against the running platform; returns accuracy.json's content."""
    started = time.perf_counter()
    client = Client(deployment)
    pairs = official_pairs()
    by_identity = images_by_identity()
    if quick:
        pairs = pairs[::QUICK_PAIRS_EVERY]
        multi = [name for name, paths in by_identity.items() if len(paths) > 1][:QUICK_IDENTITIES]
        single = [name for name, paths in by_identity.items() if len(paths) == 1][:QUICK_STRANGERS]
        by_identity = {name: by_identity[name] for name in multi + single}
    models = models_in_use(client)
    recognizer = load_pack(pack_name).recognizer
    print("accuracy: verification of the official pairs", flush=True)
    scores, errors = verify_pairs(client, pairs)
    print("accuracy: identification", flush=True)
    identified, embeddings = identification(client, by_identity)
    identity_of = {path: name for name, paths in by_identity.items() for path in paths}
    print("accuracy: all pairs and calibration", flush=True)
    verified = verification(pairs, scores, errors)
    genuine, impostor = pair_distances(embeddings, identity_of)
    every_pair = {"images": len(embeddings), **all_pairs(genuine, impostor)}
    fit = calibrate.calibration(genuine, impostor, (recognizer.similarity_c0, recognizer.similarity_c1))
    print("accuracy: detection", flush=True)
    detected = detection(client, quick)
    return {
        "quick": quick, "pack": pack_name, "models": models,
        "verify_accuracy": verified["accuracy"], "verify_accuracy_std": verified["accuracy_std"],
        "tar_at_far_1e-3": every_pair["tar_at_far_1e-3"], "rank1": identified["rank1"],
        "strangers_named_at_0_5": identified["strangers_named_at_0_5"],
        "similarity_c0": recognizer.similarity_c0, "similarity_c1": recognizer.similarity_c1,
        "verification_official_pairs": verified,
        "api_similarity_vs_formula_max_difference": formula_check(pairs, scores, embeddings, recognizer.similarity_c0,
                                                                  recognizer.similarity_c1),
        "identification": identified,
        "all_pairs": every_pair,
        "calibration": fit,
        "detection": detected,
        "published": {role: PUBLISHED.get(name, {}) for role, name in models.items()},
        "method": __doc__.split("\n\n", 1)[1].strip(),
        "seconds": round(time.perf_counter() - started, 1),
    }

"""Verification statistics: LFW's 10-fold accuracy, ROC, TAR at a FAR, latency percentiles."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# FARs at which the ROC is sampled for the report (log-spaced, 1e-6 to 1).
ROC_FARS = tuple(float(far) for far in np.logspace(-6, 0, 25))


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The score threshold (same person when score >= it) with the highest accuracy on these pairs."""
    candidates = np.unique(np.concatenate([scores, [np.inf]]))
    accuracies = [np.mean((scores >= threshold) == same) for threshold in candidates]
    return float(candidates[int(np.argmax(accuracies))])


def ten_fold_accuracy(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> dict[str, object]:
    """LFW's protocol: for each fold, the threshold chosen on the nine others, the accuracy on it."""
    per_fold, thresholds = [], []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(scores[~test], same[~test])
        thresholds.append(threshold)
        per_fold.append(float(np.mean((scores[test] >= threshold) == same[test])))
    return {"accuracy": float(np.mean(per_fold)), "accuracy_std": float(np.std(per_fold)),
            "fold_accuracies": [round(value, 4) for value in per_fold],
            "fold_thresholds": [round(value, 5) for value in thresholds]}


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> float | None:
    """Share of genuine scores at or above the threshold that lets a share ``far`` of impostor scores
    through; None when there are too few impostor scores to resolve that FAR."""
    allowed = int(far * len(impostor))
    if allowed == 0:
        return None
    threshold = np.partition(impostor, len(impostor) - allowed)[len(impostor) - allowed]
    return float(np.mean(genuine >= threshold))


def roc(genuine: np.ndarray, impostor: np.ndarray, fars: Sequence[float] = ROC_FARS) -> list[dict[str, float]]:
    """TAR at each FAR that the impostor count can resolve (at least one impostor pair above it)."""
    return [{"far": far, "tar": round(tar_at_far(genuine, impostor, far), 5)} for far in fars
            if far * len(impostor) >= 1]


def roc_auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Probability that a random genuine pair scores above a random impostor pair (ties count half)."""
    ordered = np.sort(impostor)
    below = np.searchsorted(ordered, genuine, "left") + np.searchsorted(ordered, genuine, "right")
    return float(np.mean(below) / 2 / len(ordered))


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean in milliseconds."""
    values = np.asarray(seconds) * 1000
    if not len(values):
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "mean_ms": 0.0}
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2),
            "p99_ms": round(float(np.percentile(values, 99)), 2), "mean_ms": round(float(values.mean()), 2)}

"""The LFW development half in ../shared/data/lfw-dev: its identities, images and official pairs."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass

from tests.support.paths import DATA_DIR

LFW_DIR = DATA_DIR / "lfw-dev"


@dataclass(frozen=True)
class Pair:
    """One official LFW pair (paths relative to LFW_DIR) with its fold (1 to 10)."""

    fold: int
    same: bool
    path1: str
    path2: str


def official_pairs() -> list[Pair]:
    """The official pairs of pairs.txt whose two images are both in the development half."""
    with (LFW_DIR / "pairs_subset.csv").open(newline="") as rows:
        return [Pair(int(row["fold"]), row["same"] == "1", row["path1"], row["path2"]) for row in csv.DictReader(rows)]


def images_by_identity() -> dict[str, list[str]]:
    """Identity -> its image paths (relative to LFW_DIR) in image-number order; identities sorted."""
    by_identity: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with (LFW_DIR / "images.csv").open(newline="") as rows:
        for row in csv.DictReader(rows):
            by_identity[row["name"]].append((int(row["image_number"]), row["path"]))
    return {name: [path for _, path in sorted(images)] for name, images in sorted(by_identity.items())}


def read_image(relative_path: str) -> bytes:
    return (LFW_DIR / relative_path).read_bytes()

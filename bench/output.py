"""Where benchmark results go: bench/results (the published figures), or a temporary folder for --quick."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_dir(out: Path | None, quick: bool) -> Path:
    """``out`` when given; otherwise bench/results, or a new temporary folder in quick mode so that a
    quick run never replaces the published figures."""
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="likeness-bench-quick-")) if quick else RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_json(out: Path, name: str, data: object) -> Path:
    path = out / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path

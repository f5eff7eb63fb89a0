"""The figures the hardening tests produce (requests sent, errors seen, writes checked), written to
``test-artifacts/hardening/<topic>.json`` for docs/hardening.md."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from tests.support.paths import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "hardening"
LONG_RUN = os.environ.get("LIKENESS_LONG_TESTS") == "1"
"""Set LIKENESS_LONG_TESTS=1 for the long variants (more fuzzing examples, longer request streams)."""


def record(topic: str, test: str, **figures: object) -> Path:
    """Store ``figures`` under ``test`` in ``topic``'s file (other tests' entries are kept); its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{topic}.json"
    document = json.loads(path.read_text()) if path.exists() else {}
    document[test] = {**figures, "long_run": LONG_RUN,
                      "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=_plain) + "\n")
    return path


def _plain(value: object) -> object:
    if isinstance(value, Counter):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not a figure")

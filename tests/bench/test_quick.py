"""`python -m bench --quick`: every benchmark runs against the real platform and writes its results."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import PROJECT_ROOT

QUICK_BUDGET_S = 120
LEVEL_KEYS = {"rps", "p50_ms", "p95_ms", "p99_ms", "errors"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    assert finished.returncode == 0, (f"python -m bench --quick failed:\n{finished.stdout[-3000:]}\n"
                                      f"{finished.stderr[-3000:]}")
    print(f"\npython -m bench --quick took {elapsed:.0f} s")
    return out


def _json(out: Path, name: str) -> dict:
    path = out / name
    assert path.is_file(), f"{name} was not written"
    return json.loads(path.read_text())


def test_accuracy_has_the_headline_figures(results: Path) -> None:
    accuracy = _json(results, "accuracy.json")
    for key in ("verify_accuracy", "verify_accuracy_std", "tar_at_far_1e-3", "rank1", "strangers_named_at_0_5"):
        assert 0 <= accuracy[key] <= 1, f"{key} = {accuracy[key]}"
    assert accuracy["verify_accuracy"] > 0.9 and accuracy["rank1"] > 0.9, "the quick sample should be easy"
    assert accuracy["verification_official_pairs"]["errors"] == []


def test_load_has_every_level_of_every_endpoint(results: Path) -> None:
    load = _json(results, "load.json")
    for run in load["core_servers"].values():
        for endpoint in ("recognize", "detect", "verify"):
            levels = run["endpoints"][endpoint]
            assert set(levels) == {str(level) for level in load["concurrency_levels"]}
            for level in levels.values():
                assert LEVEL_KEYS <= set(level) and level["errors"] == 0 and level["rps"] > 0


def test_core_collections_memory_and_calibration_are_written(results: Path) -> None:
    core = _json(results, "core.json")
    assert core["faces_per_second"] > 0 and core["baseline_faces_per_second"] > 0
    collections = _json(results, "collections.json")
    assert collections["10000"]["recall_at_1"] > 0.9 and "sync_p99_ms" in collections
    memory = _json(results, "memory.json")
    assert {"core-1", "api-1", "gateway"} <= set(memory["core_servers"]["1"]["at_rest"])
    assert all(value > 0 for value in memory["core_servers"]["1"]["under_load_peak"].values())
    assert (results / "calibration-default.json").is_file()


def test_accuracy_gates_and_soak_have_the_keys_the_issue_names(results: Path) -> None:
    quantized = _json(results, "quantized.json")
    assert {"pack", "float", "quantized", "gates_passed", "default_pack", "speedup_vs_float", "speedup_vs_insightface",
            "cpu_features", "backend", "precision"} <= set(quantized)
    for configuration in (quantized["float"], quantized["quantized"]):
        assert {"verify_accuracy", "tar_at_far_1e-4", "rank1", "detected", "missed", "extra",
                "faces_per_second"} <= set(configuration)
    soak = _json(results, "soak.json")
    assert soak["requests"] > 0 and soak["errors"] == 0 and soak["minutes"] > 0
    assert {"core-1", "api-1", "admin", "gateway", "postgres"} <= set(soak["processes"])
    for process in soak["processes"].values():
        assert process["rss_mb"] and all(value > 0 for value in process["rss_mb"])
        assert isinstance(process["growth_after_5min_percent"], float)


def test_report_links_plots_that_exist(results: Path) -> None:
    report = (results / "REPORT.md").read_text()
    assert "## Accuracy" in report and "## End to end through the gateway" in report
    images = [line.split("](", 1)[1].rstrip(")") for line in report.splitlines() if line.startswith("![")]
    assert len(images) >= 6
    for image in images:
        assert (results / image).stat().st_size > 1000, f"{image} is missing or empty"


def test_quick_run_fits_its_budget(results: Path) -> None:
    run = _json(results, "run.json")
    assert run["quick"] and run["total_seconds"] < QUICK_BUDGET_S, run["seconds"]

"""Every benchmark, then the report: ``python -m bench [--quick] [--out DIR]``.

1. core: the embedding server's images/s and faces/s against concurrency, today's default (onnxruntime
   float32), the new default and its variants, against the plain insightface pipeline (bench.core_bench)
   -> core.json; then the accuracy gates of every inference configuration (bench.quantized) -> quantized.json,
   and the cheap wins beside the backend (bench.cheap_wins) -> cheap_wins.json
2. calibration: the similarity fit of every model pack whose files are present (bench.calibrate)
   -> calibration-<pack>.json
3. the platform started as `make run` starts it (1 core server): accuracy through the REST API
   (bench.accuracy) -> accuracy.json; then load through the gateway (bench.load); then the same
   load with 2 core servers -> load.json, memory.json
4. collections: search latency at 10k / 100k / 1M faces and sync between api servers
   (bench.collections_bench) -> collections.json
5. soak: 30 minutes of full load with varied images and plugins, memory of every process each minute
   (bench.soak) -> soak.json
6. containers: image sizes, build time cold and cached, time to healthy and a core killed under load,
   with docker compose (bench.containers) -> images.json; not in quick mode
7. REPORT.md with its plots (bench.report)

Results go to bench/results, or to --out. --quick takes small samples of everything (one core
server, concurrency 1 and 2, a 10k collection) to check that the benchmarks run, in under two
minutes, and writes to a temporary folder unless --out is given.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from bench import (accuracy, calibrate, cheap_wins, collections_bench, containers, core_bench, load, quantized,
                   report, soak)
from bench.deployment import deployment
from bench.machine import machine_info
from bench.output import results_dir, write_json
from core.model_pack import PACKS_DIR, load_pack
from tests.support.paths import MODELS_DIR

CORE_REPEATS = 3
QUICK_CALIBRATION_IMAGES = 150
COLLECTION_SIZES, QUICK_COLLECTION_SIZES = (10_000, 100_000, 1_000_000), (10_000,)
CORE_SERVER_COUNTS, QUICK_CORE_SERVER_COUNTS = (1, 2), (1,)


def packs_with_models() -> list[str]:
    """Packs whose detector and recognizer files are in MODELS_DIR."""
    packs = [load_pack(path.stem) for path in sorted(PACKS_DIR.glob("*.toml"))]
    return [pack.name for pack in packs
            if (MODELS_DIR / pack.detector.file).is_file() and (MODELS_DIR / pack.recognizer.file).is_file()]


def platform_runs(out: Path, quick: bool) -> None:
    """Accuracy, then load, on a platform with 1 core server; load again with 2 (not in quick mode)."""
    levels = load.QUICK_CONCURRENCY if quick else load.CONCURRENCY
    duration = load.QUICK_DURATION_S if quick else load.DURATION_S
    samples = load.QUICK_BREAKDOWN_SAMPLES if quick else load.BREAKDOWN_SAMPLES
    runs, memory = {}, {}
    for core_servers in QUICK_CORE_SERVER_COUNTS if quick else CORE_SERVER_COUNTS:
        with deployment(core_servers) as platform:
            if core_servers == 1:
                write_json(out, "accuracy.json", accuracy.run(platform, quick))
            print(f"load with {core_servers} core server(s)", flush=True)
            measured = load.measure(platform, levels, duration, samples)
        runs[str(core_servers)] = measured
        memory[str(core_servers)] = measured.pop("memory_mb")
    stamp = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": quick}
    write_json(out, "load.json", {**stamp, **load.describe(levels, duration), "core_servers": runs, "machine": machine_info()})
    write_json(out, "memory.json", {**stamp, "unit": "MB resident (RSS), a process and its children",
                                    "core_servers": memory})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small samples of everything, in under 2 minutes")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results; a temporary one with --quick)")
    args = parser.parse_args(argv)
    out = results_dir(args.out, args.quick)
    quick = args.quick
    durations: dict[str, float] = {}

    def step(name: str, work: Callable[[], None]) -> None:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        work()
        durations[name] = round(time.perf_counter() - started, 1)

    machine = machine_info()
    core: dict[str, object] = {}
    step("core", lambda: write_json(out, "core.json", core.setdefault("report", core_bench.run(
        quick, 1 if quick else CORE_REPEATS))))
    step("accuracy gates", lambda: write_json(out, "quantized.json", quantized.run(quick, core["report"])))
    step("cheap wins", lambda: write_json(out, "cheap_wins.json", cheap_wins.run(quick)))
    for pack in packs_with_models():
        step(f"calibration {pack}", lambda pack=pack: write_json(
            out, f"calibration-{pack}.json", calibrate.run(pack, QUICK_CALIBRATION_IMAGES if quick else None)))
    step("platform", lambda: platform_runs(out, quick))
    step("collections", lambda: write_json(out, "collections.json", collections_bench.run(
        list(QUICK_COLLECTION_SIZES if quick else COLLECTION_SIZES), quick, "ivf")))
    step("soak", lambda: write_json(out, "soak.json", soak.run(soak.QUICK_MINUTES, soak.QUICK_SAMPLE_INTERVAL_S)
                                    if quick else soak.run(soak.MINUTES)))
    if not quick:
        step("containers", lambda: write_json(out, "images.json", containers.run()))
    write_json(out, "run.json", {"quick": quick, "seconds": durations,
                                 "total_seconds": round(sum(durations.values()), 1),
                                 "machine": {**machine, "load_average_at_end": round(os.getloadavg()[0], 2)}})
    step("report", lambda: report.write(out))
    print(f"\nresults in {out} ({sum(durations.values()):.0f} s)")


if __name__ == "__main__":
    main()

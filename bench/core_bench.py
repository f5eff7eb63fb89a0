"""Throughput of the embedding server (core): today's default, the new default and its variants,
against the plain insightface pipeline.

Run with `make bench` (or `.venv/bin/python -m bench.core_bench [--quick]`). The same images go through:

- our server, started as `python -m core` and called over a real gRPC channel, in each configuration of
  CONFIGURATIONS: `today` (onnxruntime float32, batching off: the default before OpenVINO), `new_default`
  (the settings' defaults: INFERENCE_BACKEND=auto picks for this CPU), the new default with batching on,
  `openvino_f32` (OpenVINO in float32 only: what a CPU without bfloat16 or int8 dot products gets),
  `int8_without_bf16` (the detector in float32, the recognizer in int8: a CPU with VNNI but without
  bfloat16), where the CPU computes bfloat16 `previous_default` (the recognizer in bfloat16, the rest in
  float32: the default before the detector's landmark convolutions were kept in float32 and before int8) and
  `bf16` (the detector and the recognizer in bfloat16), and `one_stream` (the new default with OpenVINO's
  earlier layout: one stream per model running on every thread, instead of one single-threaded stream per
  thread);
- the plain insightface 2.1 pipeline in this process: SCRFD detection (det_500m, 640x640),
  norm_crop alignment and the ArcFace recognizer (w600k_mbf) called face by face.

Both sides decode the encoded image bytes themselves. At each client concurrency, after a warm-up,
N threads send the whole image set round-robin and the wall time gives images/s and faces/s. Other
work on the machine can only slow a run down, so the configurations take turns, `--repeats` runs
each, and the fastest run of each is reported (as timeit does); every run's figure is kept in the JSON.
Because the machine may be shared, each run also records the CPU time (user + system) of the process doing
the work: the server, or this process for the plain pipeline, whose client threads only wait meanwhile.
The least CPU milliseconds per face over a level's runs give what the usable cores would do alone
(`cpu_bound_faces_per_second`). Per-step milliseconds come from one pass at concurrency 1 (the server's own `with_timings`; for the
plain pipeline, timed in process). Results go to core.json in bench/results (or --out; a temporary
folder with --quick).
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import psutil
from insightface.model_zoo.arcface_onnx import ArcFaceONNX
from insightface.model_zoo.scrfd import SCRFD
from insightface.utils import face_align

from bench.machine import machine_info
from bench.output import results_dir, write_json
from core.cpu_features import has_native_bf16, has_native_int8, inference_features
from proto import core_pb2 as pb
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR, MODELS_DIR

CONCURRENCY = (1, 2, 4, 8)
QUICK_CONCURRENCY = (1, 2)
SERVER_SETTINGS = {"grpc_workers": 16}
TODAY, NEW_DEFAULT, BASELINE = "today", "new_default", "baseline"
# Server settings on top of SERVER_SETTINGS and the defaults, per configuration.
CONFIGURATIONS: dict[str, dict[str, object]] = {
    TODAY: {"inference_backend": "onnxruntime", "batching": False},
    NEW_DEFAULT: {},
    "new_default_batching": {"batching": True},
    "openvino_f32": {"inference_backend": "openvino", "inference_precision": "f32"},
    "int8_without_bf16": {"model_precisions": '{"detector": "f32", "calculator": "int8"}'},
    "previous_default": {"model_precisions": '{"detector": "f32", "calculator": "bf16"}'},
    "bf16": {"model_precisions": '{"calculator": "bf16"}'},
    "one_stream": {"openvino_streams": 1},
}
# They run only where the CPU computes bfloat16, or has int8 dot products.
BF16_CONFIGURATIONS, INT8_CONFIGURATIONS = ("previous_default", "bf16"), ("int8_without_bf16",)
QUICK_CONFIGURATIONS = (TODAY, NEW_DEFAULT)
LABELS = {TODAY: "today (onnxruntime f32)", NEW_DEFAULT: "new default", "new_default_batching": "new, batching on",
          "openvino_f32": "OpenVINO f32 (no bf16, no int8)",
          "int8_without_bf16": "int8 recognizer, f32 detector", "previous_default": "previous default (bf16 recognizer)",
          "bf16": "detector and recognizer in bf16",
          "one_stream": "new, 1 stream x 2 threads", BASELINE: "insightface"}
TARGET_SPEEDUP_VS_TODAY = 2.0
TARGET_SPEEDUP = 3.0
REPEATS = 5
USABLE_CORES = len(os.sched_getaffinity(0))
SET_DESCRIPTION = {False: "first 100 LFW dev images in sorted order, all CompreFace samples, both group photos",
                   True: "4 LFW dev images, 2 CompreFace samples, the 6-person group photo"}
BASELINE_DESCRIPTION = ("insightface 2.1 SCRFD det_500m (640x640, det_thresh 0.5) + norm_crop + ArcFaceONNX w600k_mbf "
                        "get_feat per face, in process, default onnxruntime session options")

# insightface's norm_crop calls a scikit-image method deprecated in 0.26; the warning is noise here.
warnings.filterwarnings("ignore", category=FutureWarning, module="insightface")

# Takes encoded image bytes, returns how many faces were found (and embedded).
Handler = Callable[[bytes], int]
# Cumulative CPU seconds (user + system) of the process that does a subject's work.
CpuClock = Callable[[], float]


@dataclass(frozen=True)
class Subject:
    handle: Handler
    cpu_clock: CpuClock


def process_cpu_clock(pid: int) -> CpuClock:
    process = psutil.Process(pid)

    def clock() -> float:
        times = process.cpu_times()
        return times.user + times.system

    return clock


@dataclass(frozen=True)
class Image:
    source: str
    path: Path
    data: bytes


@dataclass(frozen=True)
class Run:
    concurrency: int
    images: int
    faces: int
    seconds: float
    cpu_seconds: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds

    @property
    def faces_per_second(self) -> float:
        return self.faces / self.seconds

    @property
    def cpu_ms_per_face(self) -> float:
        return self.cpu_seconds * 1000 / max(1, self.faces)

    def row(self) -> dict[str, float | int]:
        return {**asdict(self), "seconds": round(self.seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
                "images_per_second": round(self.images_per_second, 2),
                "faces_per_second": round(self.faces_per_second, 2),
                "cpu_ms_per_face": round(self.cpu_ms_per_face, 2)}


def image_paths(quick: bool) -> dict[str, list[Path]]:
    """The image set by source: LFW portraits, CompreFace samples and group photos."""
    lfw = sorted((DATA_DIR / "lfw-dev" / "images").glob("*/*.jpg"))
    compreface = sorted((DATA_DIR / "compreface-samples").glob("*.jpg"))
    groups = sorted((DATA_DIR / "group-photos").glob("*.*"))
    if quick:
        return {"lfw-dev": lfw[:4], "compreface-samples": compreface[:2],
                "group-photos": [DATA_DIR / "group-photos" / "insightface_t1.jpg"]}
    return {"lfw-dev": lfw[:100], "compreface-samples": compreface, "group-photos": groups}


def load_images(paths: dict[str, list[Path]]) -> list[Image]:
    return [Image(source, path, path.read_bytes()) for source, files in paths.items() for path in files]


class PlainPipeline:
    """The insightface library used as its documentation shows: detect, align, embed each face."""

    def __init__(self, models_dir: Path) -> None:
        pack = models_dir / "insightface" / "buffalo_sc"
        self.detector = SCRFD(model_file=str(pack / "det_500m.onnx"))
        self.detector.prepare(ctx_id=-1, input_size=(640, 640), det_thresh=0.5)
        self.recognizer = ArcFaceONNX(model_file=str(pack / "w600k_mbf.onnx"))
        self.recognizer.prepare(ctx_id=-1)

    def __call__(self, data: bytes) -> int:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        bboxes, kpss = self.detector.detect(image)
        for kps in kpss:
            self.recognizer.get_feat(face_align.norm_crop(image, kps, 112))
        return len(bboxes)

    def steps(self, images: Sequence[Image]) -> dict[str, float]:
        """Mean milliseconds per image of decode, detector, align and calculator, over one pass."""
        totals = {"decode": 0.0, "detector": 0.0, "align": 0.0, "calculator": 0.0, "total": 0.0}
        for item in images:
            clock = time.perf_counter()
            marks = [clock]
            image = cv2.imdecode(np.frombuffer(item.data, np.uint8), cv2.IMREAD_COLOR)
            marks.append(time.perf_counter())
            _, kpss = self.detector.detect(image)
            marks.append(time.perf_counter())
            crops = [face_align.norm_crop(image, kps, 112) for kps in kpss]
            marks.append(time.perf_counter())
            for crop in crops:
                self.recognizer.get_feat(crop)
            marks.append(time.perf_counter())
            for step, start, end in zip(totals, marks, marks[1:]):
                totals[step] += (end - start) * 1000
            totals["total"] += (marks[-1] - marks[0]) * 1000
        return {step: round(total / len(images), 2) for step, total in totals.items()}


@contextmanager
def core_servers(names: Sequence[str]) -> Iterator[dict[str, CoreProcess]]:
    """A running `python -m core` per configuration."""
    started: dict[str, CoreProcess] = {}
    try:
        for name in names:
            log_path = Path(tempfile.gettempdir()) / f"likeness-core-bench-{name}.log"
            started[name] = CoreProcess(log_path, **SERVER_SETTINGS, **CONFIGURATIONS[name]).wait_serving()
        yield started
    finally:
        for core in started.values():
            core.stop()


def embedding_handler(core: CoreProcess) -> Handler:
    """Asks the server for every face's embedding."""
    return lambda data: len(core.process_image(data, face_plugins=["calculator"]).faces)


def server_steps(core: CoreProcess, images: Sequence[Image]) -> dict[str, float]:
    """Mean milliseconds per image of each step the server reports, over one pass at concurrency 1."""
    totals: dict[str, float] = {}
    for image in images:
        timings = core.process_image(image.data, face_plugins=["calculator"], with_timings=True).timings_ms
        for step, milliseconds in timings.items():
            totals[step] = totals.get(step, 0.0) + milliseconds
    return {step: round(total / len(images), 2) for step, total in totals.items()}


def server_status(core: CoreProcess) -> dict[str, object]:
    status = core.stub.GetStatus(pb.StatusRequest(), timeout=10)
    return {"backend": status.inference_backend, "precision": status.inference_precision,
            "execution_provider": status.execution_provider, "choice": status.inference_choice}


def send(handle: Handler, images: Sequence[Image], concurrency: int) -> int:
    """N client threads send every image once, taking them round-robin; returns the faces found."""
    counter = itertools.count()

    def client() -> int:
        faces = 0
        while (index := next(counter)) < len(images):
            faces += handle(images[index].data)
        return faces

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(future.result() for future in [pool.submit(client) for _ in range(concurrency)])


def timed_run(subject: Subject, images: Sequence[Image], concurrency: int) -> Run:
    cpu, start = subject.cpu_clock(), time.perf_counter()
    faces = send(subject.handle, images, concurrency)
    return Run(concurrency, len(images), faces, time.perf_counter() - start, subject.cpu_clock() - cpu)


def best_row(runs: Sequence[Run]) -> dict[str, object]:
    """The fastest run by wall clock; the CPU time per face is the least of the runs' (the CPU is shared, and
    contention only adds to it), and gives what the usable cores would do alone."""
    cpu_ms = min(run.cpu_ms_per_face for run in runs)
    return {**max(runs, key=lambda run: run.faces_per_second).row(),
            "runs_faces_per_second": [round(run.faces_per_second, 2) for run in runs],
            "runs_cpu_ms_per_face": [round(run.cpu_ms_per_face, 2) for run in runs],
            "least_cpu_ms_per_face": round(cpu_ms, 2),
            "cpu_bound_faces_per_second": round(USABLE_CORES * 1000 / cpu_ms, 2)}


def measure_levels(subjects: dict[str, Subject], images: Sequence[Image], levels: Sequence[int],
                   repeats: int) -> dict[str, dict[str, dict[str, object]]]:
    """Per subject and concurrency, the fastest of `repeats` timed runs, the subjects taking turns."""
    tables: dict[str, dict[str, dict[str, object]]] = {name: {} for name in subjects}
    for concurrency in levels:
        runs: dict[str, list[Run]] = {name: [] for name in subjects}
        for subject in subjects.values():
            send(subject.handle, images[:2 * concurrency], concurrency)  # warm-up
        for _ in range(repeats):
            for name, subject in subjects.items():
                runs[name].append(timed_run(subject, images, concurrency))
        for name, subject_runs in runs.items():
            tables[name][str(concurrency)] = row = best_row(subject_runs)
            print(f"{name:<21} concurrency {concurrency}: {row['images_per_second']:7.2f} images/s "
                  f"{row['faces_per_second']:7.2f} faces/s (runs: {row['runs_faces_per_second']}), "
                  f"{row['least_cpu_ms_per_face']:6.2f} CPU ms/face", flush=True)
    return tables


def best(table: dict[str, dict[str, object]]) -> dict[str, object]:
    return max(table.values(), key=lambda row: row["faces_per_second"])


def least_cpu(table: dict[str, dict[str, object]]) -> float:
    return min(row["least_cpu_ms_per_face"] for row in table.values())


def headline(tables: dict[str, dict[str, dict[str, object]]]) -> dict[str, object]:
    """The new default against today's default and the baseline, each at its best concurrency."""
    ours, today, baseline = best(tables[NEW_DEFAULT]), best(tables[TODAY]), best(tables[BASELINE])
    speedup = ours["faces_per_second"] / baseline["faces_per_second"]
    speedup_vs_today = ours["faces_per_second"] / today["faces_per_second"]
    figures = {"faces_per_second": ours["faces_per_second"], "best_concurrency": ours["concurrency"],
               "today_faces_per_second": today["faces_per_second"], "today_best_concurrency": today["concurrency"],
               "baseline_faces_per_second": baseline["faces_per_second"],
               "baseline_best_concurrency": baseline["concurrency"],
               "speedup": round(speedup, 3), "target_speedup": TARGET_SPEEDUP, "meets_target": speedup >= TARGET_SPEEDUP,
               "speedup_vs_today": round(speedup_vs_today, 3), "target_speedup_vs_today": TARGET_SPEEDUP_VS_TODAY,
               "meets_target_vs_today": speedup_vs_today >= TARGET_SPEEDUP_VS_TODAY,
               "default_configuration": NEW_DEFAULT,
               "cpu_ms_per_face": {name: least_cpu(table) for name, table in tables.items()},
               "cpu_speedup_vs_today": round(least_cpu(tables[TODAY]) / least_cpu(tables[NEW_DEFAULT]), 3),
               "cpu_speedup_vs_baseline": round(least_cpu(tables[BASELINE]) / least_cpu(tables[NEW_DEFAULT]), 3)}
    if "new_default_batching" in tables:
        figures["batching_gain"] = round(best(tables["new_default_batching"])["faces_per_second"]
                                         / ours["faces_per_second"], 3)
    return figures


def face_counts(images: Sequence[Image], counts: Sequence[int]) -> dict[str, int]:
    by_source = {"total": sum(counts)}
    for image, count in zip(images, counts):
        by_source[image.source] = by_source.get(image.source, 0) + count
    return by_source


def compare_counts(images: Sequence[Image], counts: dict[str, list[int]]) -> dict[str, object]:
    """Faces found in one pass over the set by each subject, and the images where ours and baseline differ."""
    ours, baseline = counts[NEW_DEFAULT], counts[BASELINE]
    different = {str(image.path.relative_to(DATA_DIR)): {"ours": a, "baseline": b}
                 for image, a, b in zip(images, ours, baseline) if a != b}
    return {**{name: face_counts(images, subject_counts) for name, subject_counts in counts.items()},
            "images_with_different_counts": different}


def print_table(report: dict[str, object]) -> None:
    names = [*report["configurations"], BASELINE]
    print("\n" + f"{'concurrency':>11} | " + " | ".join(f"{LABELS[name]:^24}" for name in names))
    print(f"{'':>11} | " + " | ".join(f"{'images/s':>11} {'faces/s':>12}" for _ in names))
    for concurrency in report["concurrency_levels"]:
        cells = [report[name]["levels"][str(concurrency)] for name in names]
        print(f"{concurrency:>11} | " + " | ".join(
            f"{row['images_per_second']:>11.2f} {row['faces_per_second']:>12.2f}" for row in cells))
    counts = report["face_counts"]
    print(f"\nfaces in one pass over the set: new default {counts[NEW_DEFAULT]['total']}, "
          f"today {counts[TODAY]['total']}, insightface {counts[BASELINE]['total']}")
    print(f"best: new default {report['faces_per_second']} faces/s, today {report['today_faces_per_second']}, "
          f"insightface {report['baseline_faces_per_second']}: {report['speedup_vs_today']}x today "
          f"(target {TARGET_SPEEDUP_VS_TODAY}x), {report['speedup']}x insightface (target {TARGET_SPEEDUP}x)")
    print(f"CPU ms per face (least): {report['cpu_ms_per_face']}: {report['cpu_speedup_vs_today']}x today, "
          f"{report['cpu_speedup_vs_baseline']}x insightface")


def run(quick: bool, repeats: int) -> dict[str, object]:
    """Measures our server in each configuration and the plain pipeline; returns the report."""
    paths = image_paths(quick)
    images = load_images(paths)
    levels = QUICK_CONCURRENCY if quick else CONCURRENCY
    names = list(QUICK_CONFIGURATIONS) if quick else [
        name for name in CONFIGURATIONS if (name not in BF16_CONFIGURATIONS or has_native_bf16())
        and (name not in INT8_CONFIGURATIONS or has_native_int8())]
    machine = machine_info()
    print(f"{len(images)} images, best of {repeats} run(s) per level, "
          f"load average {machine['load_average_at_start']}", flush=True)
    with core_servers(names) as servers:
        baseline = PlainPipeline(MODELS_DIR)
        subjects = {**{name: Subject(embedding_handler(core), process_cpu_clock(core.process.pid))
                       for name, core in servers.items()},
                    BASELINE: Subject(baseline, process_cpu_clock(os.getpid()))}
        counts = {name: [subject.handle(image.data) for image in images] for name, subject in subjects.items()}
        steps = {**{name: server_steps(core, images) for name, core in servers.items()},
                 BASELINE: baseline.steps(images)}
        statuses = {name: server_status(core) for name, core in servers.items()}
        tables = measure_levels(subjects, images, levels, repeats)
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": quick,
        **headline(tables),
        "concurrency_levels": list(levels),
        "configurations": names,
        "method": f"per level: warm-up, then {repeats} interleaved runs per configuration, each sending every "
                  "image once round-robin from N client threads; the fastest run (by faces/s) is reported",
        "image_set": {"description": SET_DESCRIPTION[quick],
                      "images": {source: len(files) for source, files in paths.items()},
                      "bytes": sum(len(image.data) for image in images)},
        "face_counts": compare_counts(images, counts),
        "cpu_features": inference_features(),
        "machine": {**machine, "load_average_at_end": round(os.getloadavg()[0], 2)},
        **{name: {"label": LABELS[name], "settings": {**SERVER_SETTINGS, **CONFIGURATIONS[name]},
                  "runtime": statuses[name], "steps_ms": steps[name], "levels": tables[name]} for name in names},
        BASELINE: {"label": LABELS[BASELINE], "pipeline": BASELINE_DESCRIPTION, "steps_ms": steps[BASELINE],
                   "levels": tables[BASELINE]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few images, concurrency 1 and 2, one run")
    parser.add_argument("--repeats", type=int, help=f"timed runs per configuration and level (default {REPEATS}, "
                                                    "quick 1)")
    parser.add_argument("--out", type=Path, help="folder for core.json (default bench/results)")
    args = parser.parse_args()
    report = run(args.quick, args.repeats or (1 if args.quick else REPEATS))
    output = write_json(results_dir(args.out, args.quick), "core.json", report)
    print_table(report)
    print(f"written to {output}")


if __name__ == "__main__":
    main()

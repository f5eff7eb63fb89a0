"""REPORT.md and its plots, from the JSON results in a results folder.

    python -m bench.report [--out DIR]     (default bench/results)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from bench.calibrate import similarity  # noqa: E402
from bench.report_additions import (plot_error_versus_reject, section_liveness, section_open_set,  # noqa: E402
                                    section_quality)
from bench.output import RESULTS_DIR  # noqa: E402

ENDPOINT_TITLES = {"recognize": "recognise (1 face, 416x624 JPEG)", "detect": "detect (same image)",
                   "verify": "verify (two 416x624 JPEGs)"}
CORE_HEADLINE_SERIES = ("today", "new_default", "baseline")  # today's default, the new default, plain insightface


def _load(out: Path, name: str) -> dict:
    return json.loads((out / name).read_text())


def _figure(path: Path, figure: plt.Figure) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path.name


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _percent(value: float | None, digits: int = 2) -> str:
    return "n/a (too few pairs)" if value is None else f"{value * 100:.{digits}f} %"


CORE_STEPS = ("decode", "detector", "align", "calculator")
STEP_ORDER = ("decode", "detector", "align", "calculator", "search", "api (gRPC, JSON, other)", "source image and api",
              "http and gateway", "api total", "client latency")


def _cores(servers: str) -> str:
    return f"{servers} core server{'s' if servers != '1' else ''}"


def _step_kind(step: str) -> str:
    return step.removeprefix("core ").removeprefix("(target) ")


def _step_order(step: str) -> int:
    kind = _step_kind(step)
    return STEP_ORDER.index(kind) if kind in STEP_ORDER else len(STEP_ORDER)


# Plots

def _core_series(core: dict) -> list[str]:
    """Every configuration the core bench measured, the plain pipeline last."""
    return [*core["configurations"], "baseline"]


def plot_core(core: dict, out: Path) -> str:
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    levels = core["concurrency_levels"]
    for key in _core_series(core):
        table, label = core[key]["levels"], core[key]["label"]
        style = "-" if key in CORE_HEADLINE_SERIES else ":"
        axes[0].plot(levels, [table[str(level)]["faces_per_second"] for level in levels], style, marker="o", label=label)
        axes[1].plot(levels, [table[str(level)]["images_per_second"] for level in levels], style, marker="o",
                     label=label)
    for axis, unit in zip(axes, ("faces/s", "images/s")):
        axis.set_xscale("log", base=2)
        axis.set_xticks(levels, [str(level) for level in levels])
        axis.set_xlabel("client concurrency")
        axis.set_ylabel(unit)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.suptitle("One core server: today's default, the new default, the plain insightface pipeline")
    return _figure(out / "core_throughput.png", figure)


def plot_load(load: dict, out: Path) -> str:
    runs = load["core_servers"]
    levels = load["concurrency_levels"]
    figure, axes = plt.subplots(2, len(ENDPOINT_TITLES), figsize=(13, 7), sharex=True)
    for column, (endpoint, title) in enumerate(ENDPOINT_TITLES.items()):
        for servers, run in runs.items():
            rows = [run["endpoints"][endpoint][str(level)] for level in levels]
            axes[0][column].plot(levels, [row["rps"] for row in rows], marker="o", label=f"{servers} core server(s)")
            for percentile, style in (("p50_ms", "-"), ("p95_ms", "--"), ("p99_ms", ":")):
                axes[1][column].plot(levels, [row[percentile] for row in rows], style, marker=".",
                                     label=f"{percentile[:3]}, {servers} core(s)")
        axes[0][column].set_title(title, fontsize=10)
        axes[0][column].set_ylabel("answers/s")
        axes[1][column].set_ylabel("latency, ms")
        axes[1][column].set_xlabel("concurrent clients")
        for axis in (axes[0][column], axes[1][column]):
            axis.set_xscale("log", base=2)
            axis.set_xticks(levels, [str(level) for level in levels])
            axis.set_ylim(bottom=0)
            axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    axes[1][0].legend(fontsize=7)
    figure.suptitle("End to end through the gateway: throughput and latency against load")
    return _figure(out / "load.png", figure)


def plot_breakdown(load: dict, out: Path) -> str:
    breakdown = load["core_servers"]["1"]["breakdown_ms"]
    kinds = list(dict.fromkeys(_step_kind(step) for steps in breakdown.values() for step in steps
                               if step not in ("client latency", "api total")))
    colours = dict(zip(kinds, plt.get_cmap("tab10").colors))
    figure, axis = plt.subplots(figsize=(10, 3.4))
    for row, steps in enumerate(breakdown.values()):
        left = 0.0
        for step, ms in steps.items():
            if step in ("client latency", "api total"):
                continue
            kind = _step_kind(step)
            axis.barh(row, ms, left=left, color=colours[kind], label=kind)
            left += ms
    handles, labels = axis.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axis.legend(unique.values(), unique.keys(), fontsize=7, loc="lower right", ncol=2)
    axis.set_yticks(range(len(breakdown)), list(breakdown))
    axis.set_xlabel("mean ms per request at concurrency 1, 1 core server")
    axis.set_title("Where the time goes (status=true timings; for verify, the target image's core steps)")
    return _figure(out / "breakdown.png", figure)


def plot_collections(collections: dict, out: Path) -> str:
    sizes = sorted(int(key) for key in collections if key.isdigit())
    figure, axis = plt.subplots(figsize=(6, 3.6))
    axis.plot(sizes, [collections[str(size)]["search_p50_ms"] for size in sizes], marker="o", label="p50")
    axis.plot(sizes, [collections[str(size)]["search_p99_ms"] for size in sizes], marker="o", label="p99")
    for size in sizes:
        axis.annotate(collections[str(size)]["kind"], (size, collections[str(size)]["search_p50_ms"]),
                      textcoords="offset points", xytext=(4, -12), fontsize=8)
    axis.set_xscale("log")
    axis.set_xlabel("faces in the collection")
    axis.set_ylabel("search latency, ms")
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title("Search time of one face against collection size")
    return _figure(out / "collections.png", figure)


def plot_roc(accuracy: dict, out: Path) -> str:
    figure, axis = plt.subplots(figsize=(6, 4))
    every = accuracy["all_pairs"]["roc"]
    axis.plot([point["far"] for point in every], [point["tar"] for point in every], marker=".",
              label=f"all pairs ({accuracy['all_pairs']['impostor_pairs']:,} impostor)")
    official = accuracy["verification_official_pairs"]["roc"]
    axis.plot([point["far"] for point in official], [point["tar"] for point in official], marker="o",
              label=f"official pairs ({accuracy['verification_official_pairs']['impostor_pairs']} impostor)")
    axis.axvline(1e-3, color="grey", linestyle=":")
    axis.axvline(1e-4, color="grey", linestyle=":")
    axis.set_xscale("log")
    axis.set_xlabel("false accept rate")
    axis.set_ylabel("true accept rate")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("Verification ROC on LFW dev, through the REST API")
    return _figure(out / "roc.png", figure)


def plot_calibration(fit: dict, title: str, path: Path) -> str:
    """Distance histograms of genuine and impostor pairs with the similarity curve and 0.5 point."""
    fitted, current = fit["fitted"], fit["current"]
    histogram = fitted["histogram"]
    edges = np.array(histogram["bin_edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    figure, axis = plt.subplots(figsize=(7, 4.8))
    for kind, colour in (("genuine", "tab:green"), ("impostor", "tab:red")):
        counts = np.array(histogram[kind], float)
        axis.step(centres, counts / counts.sum(), where="mid", color=colour, label=f"{kind} pairs")
    axis.set_yscale("log")
    axis.set_xlabel("euclidean distance of normalised embeddings")
    axis.set_ylabel("share of pairs per bin")
    curve = axis.twinx()
    distances = np.linspace(0, 2, 400)
    curve.plot(distances, similarity(distances, fitted["similarity_c0"], fitted["similarity_c1"]), color="black",
               label=f"similarity, fitted (c0 {fitted['similarity_c0']:.4f}, c1 {fitted['similarity_c1']:.3f})")
    if (current["similarity_c0"], current["similarity_c1"]) != (fitted["similarity_c0"], fitted["similarity_c1"]):
        curve.plot(distances, similarity(distances, current["similarity_c0"], current["similarity_c1"]),
                   color="grey", linestyle="--", label=f"similarity, in the pack (c0 {current['similarity_c0']:.4f})")
    curve.axhline(0.5, color="black", linewidth=0.5, linestyle=":")
    curve.axvline(fitted["similarity_c0"], color="black", linewidth=0.5, linestyle=":")
    curve.set_ylabel("similarity")
    curve.set_ylim(0, 1)
    lines = axis.get_legend_handles_labels()
    more = curve.get_legend_handles_labels()
    axis.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                ncol=2)
    axis.set_title(title, fontsize=10)
    return _figure(path, figure)


def plot_memory(memory: dict, out: Path) -> str:
    runs = memory["core_servers"]
    names = sorted({name for run in runs.values() for name in run["at_rest"]})
    figure, axis = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / (2 * len(runs))
    for offset, (servers, run) in enumerate(runs.items()):
        for inner, (state, label) in enumerate((("at_rest", "at rest"), ("under_load_peak", "under load (peak)"))):
            position = np.arange(len(names)) + (2 * offset + inner - len(runs) + 0.5) * width
            axis.bar(position, [run[state].get(name, 0) for name in names], width,
                     label=f"{label}, {servers} core server(s)")
    axis.set_xticks(range(len(names)), names)
    axis.set_ylabel("RSS, MB")
    axis.legend(fontsize=7)
    axis.set_title("Resident memory per process (with its children)")
    return _figure(out / "memory.png", figure)


# Sections

def section_machine(run: dict) -> str:
    machine = run["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    return "\n".join([
        "## The machine", "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores ({machine['usable_cores']} usable)"
        f"{', ' + machine['virtualisation'] if machine.get('virtualisation') else ''}; {machine['memory_gb']} GB RAM",
        f"- OS: {machine['os']}, kernel {machine['kernel']}; Python {machine['python']}; {machine['nginx']}",
        f"- Packages: {packages}",
        f"- Load average (1 min) when the run started / ended: {machine['load_average_at_start']} / "
        f"{machine['load_average_at_end']}. The CPU was shared with other work during the run, so every timing "
        "here is a lower bound of what the machine does alone; throughputs are the best of repeated runs "
        "where the benchmark repeats them.",
        "- Benchmark duration: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run["seconds"].items())
        + f"; {run['total_seconds'] / 60:.1f} minutes in all.",
    ])


def section_core(core: dict, image: str) -> str:
    levels = core["concurrency_levels"]
    series = _core_series(core)
    rows = [[level] + [f"{core[key]['levels'][str(level)]['faces_per_second']:.1f}" for key in series]
            for level in levels]
    steps = sorted({step for key in series for step in core[key]["steps_ms"]}, key=_step_order)
    step_rows = [[step] + [core[key]["steps_ms"].get(step, "") for key in series] for step in steps]
    runtimes = [f"`{key}`: {core[key]['runtime']['backend']} {core[key]['runtime']['precision']}"
                for key in core["configurations"]]
    counts = core["face_counts"]
    repeats = len(core["baseline"]["levels"][str(levels[0])]["runs_faces_per_second"])
    lines = [
        "## What one core server does per second", "",
        f"The embedding server alone, called over gRPC by N client threads, on {core['image_set']['description']} "
        f"({sum(core['image_set']['images'].values())} images, {core['image_set']['bytes'] / 1e6:.1f} MB), each "
        "image detected and every face embedded; the plain insightface pipeline (SCRFD det_500m at 640x640, "
        "norm_crop, the recognizer face by face) runs the same images in the same run. Faces/s, best "
        f"of {repeats} run(s) per cell, the configurations taking turns (CPU features: "
        f"{', '.join(core['cpu_features']) or 'none'}; {'; '.join(runtimes)}):", "",
        _table(["concurrency"] + [core[key]["label"] for key in series], rows), "",
        f"Best: **{core['faces_per_second']:.0f} faces/s** for the new default (at concurrency "
        f"{core['best_concurrency']}) against {core['today_faces_per_second']:.0f} for today's default: "
        f"**{core['speedup_vs_today']:.2f}x** (target {core['target_speedup_vs_today']}x), and "
        f"{core['baseline_faces_per_second']:.0f} for the plain pipeline: **{core['speedup']:.2f}x** "
        f"(target {core['target_speedup']}x). Faces found in one pass: new default "
        f"{counts['new_default']['total']}, today {counts['today']['total']}, insightface {counts['baseline']['total']}.",
    ]
    if "cpu_ms_per_face" in core:
        cpu = core["cpu_ms_per_face"]
        lines[-1] += (f" The server's CPU time per face (least over the levels; the bench client shares the "
                      f"cores, so faces/s understate the server's gain): new default {cpu['new_default']} ms, "
                      f"today {cpu['today']} ms (**{core['cpu_speedup_vs_today']:.2f}x** less), insightface "
                      f"{cpu['baseline']} ms ({core['cpu_speedup_vs_baseline']:.2f}x).")
    if "batching_gain" in core:
        lines[-1] += f" Batching on / off with the new backend: {core['batching_gain']:.2f}x."
    lines += ["", "Milliseconds per image of each step at concurrency 1 (one pass; the server's own timings):", "",
              _table(["step"] + [core[key]["label"] for key in series], step_rows), "",
              f"![core throughput]({image})"]
    return "\n".join(lines)


def section_gates(quantized: dict) -> str:
    """The accuracy gates of every inference configuration, and which one is the default."""
    names = list(quantized["configurations"])
    keys = ("verify_accuracy", "tar_at_far_1e-4", "rank1", "missed", "extra")
    rows = []
    for key in keys:
        row = [key]
        for name in names:
            gate = quantized["configurations"][name]["gates"][key]
            value = gate["value"] if key in ("missed", "extra") else _percent(gate["value"])
            row.append(f"{value} ({'pass' if gate['passed'] else 'FAIL'})")
        rows.append(row)
    rows.append(["TAR at FAR 1e-4, gallery embedded in float"] + [
        _percent(quantized["configurations"][name].get("tar_at_far_1e-4_against_float_gallery"))
        for name in names])
    rows.append(["embedding cosine vs float (mean / min)"] + [
        f"{quantized['configurations'][name]['embeddings_vs_float']['cosine_mean']:.5f} / "
        f"{quantized['configurations'][name]['embeddings_vs_float']['cosine_min']:.5f}" for name in names])
    rows.append(["FAR at similarity 0.5 (c0 in use during the run)"] + [
        f"{quantized['configurations'][name]['similarity']['far_at_0_5']:.2e} (c0 "
        f"{quantized['configurations'][name]['similarity']['c0']})" for name in names])
    rows.append(["c0 fitted for FAR 1e-4"] + [quantized["configurations"][name]["similarity"]["fitted_c0"]
                                               for name in names])
    rows.append(["faces/s (core bench)"] + [quantized["configurations"][name]["faces_per_second"] or "" for name in names])
    failures = [f"`{name}` misses {'; '.join(quantized['configurations'][name]['failed_gates'])}"
                for name in names if quantized["configurations"][name]["failed_gates"]]
    allowed = quantized["gates"]["allowed_loss"]
    return "\n".join([
        "## Inference configurations and their accuracy gates", "",
        "Every configuration runs the server's own pipeline in process on LFW dev and the detection sets "
        f"(bench/quantized.py). Allowed loss against today's float configuration: verification "
        f"{allowed['verify_accuracy'] * 100:.1f} point, TAR at FAR 1e-4 {allowed['tar_at_far_1e-4'] * 100:.1f} point, "
        f"rank-1 {allowed['rank1'] * 100:.1f} point; detection: no more missed, no more extra faces.", "",
        _table(["gate"] + [f"`{name}`" for name in names], rows), "",
        f"Default on this CPU ({', '.join(quantized['cpu_features'])}): **{quantized['backend']} "
        f"{quantized['precision']}**, gates {'passed' if quantized['gates_passed'] else 'NOT passed'}; "
        f"{quantized['speedup_vs_float']}x today's faces/s, {quantized['speedup_vs_insightface']}x the plain "
        f"insightface pipeline; the fastest configuration that passes every gate: `{quantized['fastest_passing']}`."
        + (" " + " ".join(failures) + "." if failures else ""),
    ])


def section_cheap_wins(wins: dict) -> str:
    small, decode, landmarks = wins["small_images"], wins["decode"], wins["landmarks2d106"]
    floors = list(decode["per_floor"].values())
    saved = sum(floors[0][key] - floors[-1][key] for key in ("decode_ms", "detector_ms"))
    rows = [[label, row["decode_ms"], row["detector_ms"], row["faces"],
             "" if row["largest_face_cosine_vs_default_min"] is None else row["largest_face_cosine_vs_default_min"]]
            for label, row in decode["per_floor"].items()]
    return "\n".join([
        "## Cheap wins beside the backend", "",
        f"Measured in process with the server's code ({wins['runtime']}; bench/cheap_wins.py):", "",
        f"- Small images are detected at their own size: {small['images']} LFW portraits ({small['size']}) take "
        f"{small['detector_ms_own_size']} ms in the detector against {small['detector_ms_upscaled_to_640']} ms "
        f"upscaled to 640x640 as the plain pipeline does ({small['speedup']}x), the same faces in "
        f"{small['images_with_the_same_faces']} of {small['images']}.",
        f"- The 106-landmark model runs only when asked for: on the group photo ({landmarks['faces']} faces) it "
        f"would add {landmarks['saved_ms_when_not_asked']} ms to {landmarks['ms_calculator']} ms.",
        f"- Large JPEGs ({', '.join(decode['images'])}) decoded at reduced scale, mean ms per image (detector "
        "time includes scaling down to 640):", "",
        _table(["decoded to", "decode ms", "detector ms", "faces", "largest face's embedding vs default (min cosine)"],
               rows), "",
        f"Decoding straight to the detection size would save about {saved:.0f} ms per large JPEG over the "
        "default floor of 1280, but faces are then cropped for the recognizer from half the pixels: small faces "
        "in large photos lose detail that no gate here measures (LFW's photos are small), so the default stays "
        "at 1280 (`DECODE_MIN_LONG_SIDE=640` takes the saving).",
    ])


def section_soak(soak: dict) -> str:
    rows = [[name, process["rss_mb"][0], process["rss_mb"][min(5, len(process["rss_mb"]) - 1)], process["rss_mb"][-1],
             process["pss_mb"][-1], f"{process['growth_after_5min_percent']:+.2f} %",
             f"{process['rss_growth_after_5min_percent']:+.2f} %",
             f"{process['under_load_growth_after_5min_percent']:+.2f} %",
             f"{process['last_vs_minute_5_percent']:+.2f} %"]
            for name, process in soak["processes"].items()]
    return "\n".join([
        "## Memory under sustained load (soak)", "",
        f"{soak['minutes']} minutes at full load ({soak['clients']} clients, {soak['requests_per_second']} requests/s, "
        f"{soak['requests']} requests, **{soak['errors']} errors**), varied images and face plugins "
        f"(bench/soak.py). Memory per process (with its children), MB, read each minute with no request in flight "
        f"(the clients held for a moment, {soak['settle_s']} s after the last answer): what a process keeps from one "
        f"request to the next. Growth compares the mean of the last 5 minutes with the mean of minutes 5 to 9, on "
        f"PSS (a page shared by several processes counted once), on RSS, and on PSS read under load (each minute the "
        f"median of {soak['readings_under_load_per_sample']} readings, which also hold the requests in flight):", "",
        _table(["process", "RSS start", "RSS minute 5", "RSS end", "PSS end", "growth (PSS)", "growth (RSS)",
                "growth (PSS under load)", "RSS end against minute 5"], rows), "",
        f"Bound: {soak['growth_limit_percent']} % growth after minute 5 (PSS, no request in flight), no errors: "
        f"**{'met' if soak['passed'] else 'NOT met'}**.",
    ])


def section_load(load: dict, images: dict[str, str]) -> str:
    levels = load["concurrency_levels"]
    parts = ["## End to end through the gateway", "",
             f"{load['method'].strip()} Each level runs {load['duration_s']:.0f} s; the recognition service holds "
             f"{load['core_servers']['1']['collection_faces']} faces. The client threads run on the same machine "
             "and take some of its CPU.", ""]
    for endpoint, title in ENDPOINT_TITLES.items():
        rows = []
        for level in levels:
            row = [level]
            for run in load["core_servers"].values():
                cell = run["endpoints"][endpoint][str(level)]
                row += [f"{cell['rps']:.1f}", f"{cell['p50_ms']:.0f} / {cell['p95_ms']:.0f} / {cell['p99_ms']:.0f}",
                        cell["errors"]]
            rows.append(row)
        header = ["clients"]
        for servers in load["core_servers"]:
            header += [f"answers/s ({_cores(servers)})", f"p50 / p95 / p99 ms ({_cores(servers)})", "errors"]
        parts += [f"### {title}", "", _table(header, rows), ""]
    parts += [f"![load]({images['load']})", "", "### Where the time goes", "",
              "Mean milliseconds per request at concurrency 1 with 1 core server, from the `timings` that "
              "`status=true` adds to an answer (core steps as the core measures them; `api (gRPC, JSON, other)` is "
              "the api's total less the core's and the search; `http and gateway` is the client's latency less the "
              "api's total):", ""]
    by_kind = {endpoint: {_step_kind(step): ms for step, ms in steps.items()}
               for endpoint, steps in load["core_servers"]["1"]["breakdown_ms"].items()}
    kinds = sorted(dict.fromkeys(kind for steps in by_kind.values() for kind in steps), key=_step_order)
    rows = [[kind if kind not in CORE_STEPS else f"core {kind}"] + [steps.get(kind, "") for steps in by_kind.values()]
            for kind in kinds]
    parts += [_table(["step"] + list(by_kind), rows), "",
              "(A verification reports the core steps of its target image; the source image's run within "
              "`source image and api`.)", "", f"![breakdown]({images['breakdown']})"]
    return "\n".join(parts)


def sizing(load: dict, core: dict) -> str:
    """The paragraph a user sizes a deployment from."""
    lines = ["## Sizing in one paragraph", ""]
    one = load["core_servers"]["1"]["endpoints"]
    peak = {endpoint: max(rows.values(), key=lambda row: row["rps"]) for endpoint, rows in one.items()}
    quiet = {endpoint: rows[str(load["concurrency_levels"][0])] for endpoint, rows in one.items()}
    text = (f"On this machine one core server (with one api server, the database and the gateway beside it) "
            f"answers up to **{peak['recognize']['rps']:.0f} recognitions/s**, {peak['detect']['rps']:.0f} "
            f"detections/s or {peak['verify']['rps']:.0f} verifications/s of a one-face 416x624 photo; a lone "
            f"client waits {quiet['recognize']['p50_ms']:.0f} ms (p50) for a recognition. Past the peak, more "
            "clients only lengthen the queue: latency grows in proportion to the number of clients waiting. "
            f"The core alone does about {core['faces_per_second']:.0f} faces/s on mixed photos, so a CPU core "
            "of this kind embeds roughly "
            f"{core['faces_per_second'] / max(1, core['machine']['cores']):.0f} faces/s; plan core servers "
            "(or CPU cores) from the expected peak of faces per second, and api servers for the HTTP work, "
            "which is small beside it.")
    if "2" in load["core_servers"]:
        two = load["core_servers"]["2"]["endpoints"]
        best_two = max(two["recognize"].values(), key=lambda row: row["rps"])
        text += (f" A second core server on the same {load['machine']['cores']} cores gives {best_two['rps']:.0f} "
                 "recognitions/s: with the CPU already busy, more servers only help on more cores or machines.")
    lines.append(text)
    return "\n".join(lines)


def section_collections(collections: dict, image: str) -> str:
    sizes = sorted(int(key) for key in collections if key.isdigit())
    rows = [[f"{size:,}", collections[str(size)]["kind"], collections[str(size)]["search_p50_ms"],
             collections[str(size)]["search_p99_ms"], collections[str(size)]["recall_at_1"],
             f"{collections[str(size)]['bytes_per_face']:,.0f}", collections[str(size)]["load_seconds"]]
            for size in sizes]
    return "\n".join([
        "## Latency against collection size", "",
        collections["method"] + ".", "",
        _table(["faces", "index", "search p50 ms", "search p99 ms", "recall@1", "bytes/face", "load s"], rows), "",
        f"A face added on one api server is searchable on another after {collections['sync_p50_ms']} ms (p50), "
        f"{collections['sync_p99_ms']} ms (p99), over {collections['sync_samples']} faces. Search is a small "
        "part of a recognition (see the breakdown): at 1M faces it adds a few milliseconds to the core's work.", "",
        f"![collections]({image})",
    ])


def section_memory(memory: dict, image: str) -> str:
    runs = memory["core_servers"]
    names = sorted({name for run in runs.values() for name in run["at_rest"]})
    header = ["process"] + [f"{label}, {_cores(servers)}" for servers in runs for label in ("at rest", "under load")]
    rows = [[name] + [f"{run[state][name]:.0f}" if name in run[state] else "-"
                      for run in runs.values() for state in ("at_rest", "under_load_peak")] for name in names]
    return "\n".join(["## Memory", "",
                      "Resident memory (RSS, MB) of each process with its children (gunicorn workers, nginx "
                      "workers, PostgreSQL backends; pages they share are counted in each), after start-up and "
                      "enrolment, and the peak sampled every 0.25 s during the load runs:", "",
                      _table(header, rows), "", f"![memory]({image})"])


def section_accuracy(accuracy: dict, image: str) -> str:
    verified = accuracy["verification_official_pairs"]
    identified = accuracy["identification"]
    every = accuracy["all_pairs"]
    published = accuracy["published"].get("calculator", {})
    detector = accuracy["published"].get("detector", {})
    detection = accuracy["detection"]["by_set"]
    detection_rows = [[name, row["annotated"], row["found"], row["missed"], row["extra"]]
                      for name, row in detection.items()]
    lines = [
        "## Accuracy", "",
        f"Models: {', '.join(f'{role} `{name}`' for role, name in accuracy['models'].items())} (pack "
        f"`{accuracy['pack']}`), similarity coefficients c0 = {accuracy['similarity_c0']}, c1 = "
        f"{accuracy['similarity_c1']}. Everything below went through the public REST API.", "",
        "### Verification (LFW dev, official pairs, 10-fold)", "",
        f"- {verified['pairs']:,} official pairs ({verified['genuine_pairs']:,} same, {verified['impostor_pairs']} "
        f"different) through `/api/v1/verification/verify`: accuracy **{_percent(accuracy['verify_accuracy'])} "
        f"± {_percent(accuracy['verify_accuracy_std'])}** (threshold picked on 9 folds, measured on the 10th); "
        f"ROC AUC {verified['roc_auc']:.4f}; errors {len(verified['errors'])}.",
        f"- At the fixed threshold 0.5: accuracy {_percent(verified['accuracy_at_0_5'])}, "
        f"{_percent(verified['genuine_share_at_0_5'])} of same-person pairs pass, "
        f"{verified['impostors_at_or_above_0_5']} of {verified['impostor_pairs']} different-person pairs pass.",
        f"- All pairs of the {every['images']:,} dev images the API embedded ({every['genuine_pairs']:,} genuine, "
        f"{every['impostor_pairs']:,} impostor): TAR at FAR 1e-3 **{_percent(every['tar_at_far_1e-3'])}**, at "
        f"1e-4 {_percent(every['tar_at_far_1e-4'])}, at 1e-5 {_percent(every['tar_at_far_1e-5'])} (the official "
        "pairs have too few different-person pairs to measure a FAR of 1e-3).",
    ]
    if published:
        lines.append(f"- Published for {published['model']}: LFW {_percent(published['lfw_accuracy'])} on the full "
                     f"6,000 pairs ({published['source']}); measured on this LFW dev half by the models' manifest: "
                     f"{published.get('measured_on_lfw_dev_by_models_manifest', '-')}. The official-pair figure "
                     f"here has few different-person pairs per fold ({verified['impostor_pairs']} in all), so its "
                     "spread is wide.")
    lines += [
        "", f"![roc]({image})", "",
        "### Identification", "",
        f"- {identified['enrolled_identities']} people enrolled with one photo each (of "
        f"{identified['multi_image_identities']} with several photos; {identified['enrolment_refusals']} photos "
        f"refused at enrolment, mostly for showing two faces), {identified['probes']:,} other photos of them "
        f"recognised through `/api/v1/recognition/recognize`: rank-1 **{_percent(identified['rank1'])}**; "
        f"named correctly at >= 0.5: {_percent(identified['rank1_named_at_0_5'])}; given someone else's name at "
        f">= 0.5: {identified['probes_named_wrongly_at_0_5']}.",
        f"- {identified['strangers']} strangers (people with one photo, never enrolled): "
        f"**{_percent(identified['strangers_named_at_0_5'])}** came back with a name at >= 0.5. Their best "
        f"similarity: p50 {identified['stranger_best_similarity_p50_p90_p99'][0]}, p90 "
        f"{identified['stranger_best_similarity_p50_p90_p99'][1]}, p99 "
        f"{identified['stranger_best_similarity_p50_p90_p99'][2]}. 0.5 is set per comparison (FAR 1e-4): a "
        f"stranger is compared with every enrolled face, so with {identified['enrolled_identities']} faces about "
        f"{_percent(identified['expected_strangers_named_if_independent'], 1)} would be named if impostor scores "
        "were independent; with large collections, ask for `similarity_threshold` above 0.5.",
        "", "### Detection", "",
        "`/api/v1/detection/detect` at the default threshold. CompreFace's samples are annotated with nose-tip "
        "points (a face is found when a box holds one); the group photos with a head count only (6 and 29 people); "
        "the no-face set is 7 photos without people (one is a cat)." + (
            " Published for the detector: WIDER FACE easy / medium / hard "
            + " / ".join(_percent(value, 1) for value in detector["wider_face_easy_medium_hard"])
            + f" ({detector['source']})." if detector else ""), "",
        _table(["images", "faces annotated", "found", "missed", "extra"], detection_rows),
    ]
    return "\n".join(lines)


def section_calibration(out: Path, accuracy: dict) -> str:
    lines = ["## Calibration of the similarity", "",
             "Users read similarity 0.5 as \"same person\". Each pack's coefficients put 0.5 where at most one "
             "impostor pair in 10,000 scores at or above it (FAR 1e-4), counted over every impostor pair the LFW dev "
             "embeddings form, and make the median genuine pair read 0.95 (`python -m bench.calibrate --pack NAME "
             "--write` fits and stores them in `core/packs/NAME.toml`).", ""]
    rows, images = [], []
    fits = {path.stem.removeprefix("calibration-"): json.loads(path.read_text())
            for path in sorted(out.glob("calibration-*.json"))}
    fits_with_api = [(pack, "in process", fit) for pack, fit in fits.items()]
    fits_with_api.append((accuracy["pack"], "through the REST API", accuracy["calibration"]))
    for pack, source, fit in fits_with_api:
        fitted, current = fit["fitted"], fit["current"]
        rows.append([pack, source, f"{fitted['similarity_c0']} / {fitted['similarity_c1']}",
                     f"{current['similarity_c0']} / {current['similarity_c1']}", f"{fitted['impostor_pairs']:,}",
                     f"{current['far_at_0_5']:.2e}", _percent(current["genuine_share_at_0_5"]),
                     current["median_impostor_similarity"]])
        if source == "in process":
            image = plot_calibration(fit, f"Pack {pack}: distances and similarity", out / f"calibration_{pack}.png")
            images.append(f"![calibration {pack}]({image})")
    lines += [_table(["pack", "embeddings", "fitted c0 / c1", "in the pack c0 / c1", "impostor pairs",
                      "FAR at 0.5 (pack values)", "genuine pairs at >= 0.5", "median impostor similarity"], rows), "",
              "A pack without its model files here (buffalo_l) keeps CompreFace's published coefficients.", ""]
    return "\n".join(lines + images)


def _additions(out: Path, collections: dict) -> list[str]:
    """The sections of open_set.json, quality.json and liveness.json, for those present."""
    sections = []
    if (out / "open_set.json").is_file():
        sections.append(section_open_set(_load(out, "open_set.json"), collections))
    if (out / "quality.json").is_file():
        quality = _load(out, "quality.json")
        sections.append(section_quality(quality, plot_error_versus_reject(quality, out)))
    if (out / "liveness.json").is_file():
        sections.append(section_liveness(_load(out, "liveness.json")))
    return sections


def write(out: Path = RESULTS_DIR) -> Path:
    """Writes REPORT.md and the PNGs beside the JSON results in ``out``."""
    core, accuracy, load = _load(out, "core.json"), _load(out, "accuracy.json"), _load(out, "load.json")
    quantized, soak, wins = _load(out, "quantized.json"), _load(out, "soak.json"), _load(out, "cheap_wins.json")
    memory, collections, run = _load(out, "memory.json"), _load(out, "collections.json"), _load(out, "run.json")
    images = {"load": plot_load(load, out), "breakdown": plot_breakdown(load, out)}
    every = accuracy["all_pairs"]
    identified = accuracy["identification"]
    recognise = load["core_servers"]["1"]["endpoints"]["recognize"]
    best_recognise = max(recognise.values(), key=lambda row: row["rps"])
    lone = recognise[str(load["concurrency_levels"][0])]
    million = collections.get("1000000")
    headline = [
        f"- One core server: **{core['faces_per_second']:.0f} faces/s** ({core['speedup_vs_today']:.1f}x today's "
        f"default, {core['speedup']:.1f}x the plain insightface pipeline on the same images), "
        f"{quantized['backend']} {quantized['precision']}, every accuracy gate "
        f"{'passed' if quantized['gates_passed'] else 'NOT passed'}.",
        f"- Through the gateway with one core server: up to **{best_recognise['rps']:.0f} recognitions/s**; "
        f"p50 {lone['p50_ms']:.0f} ms for a lone client.",
        f"- LFW dev verification (10-fold, official pairs): **{_percent(accuracy['verify_accuracy'])} ± "
        f"{_percent(accuracy['verify_accuracy_std'])}**; TAR at FAR 1e-3: **{_percent(every['tar_at_far_1e-3'])}**.",
        f"- Identification rank-1: **{_percent(identified['rank1'])}**; strangers named at 0.5: "
        f"**{_percent(identified['strangers_named_at_0_5'])}**.",
    ]
    if million:
        headline.append(f"- 1M faces in a collection: search p50 {million['search_p50_ms']} ms, recall@1 "
                        f"{million['recall_at_1']}.")
    quick_note = ["> **Quick run** (`--quick`): small samples that only show that the benchmarks run; the figures "
                  "mean little.", ""] if run["quick"] else []
    text = "\n\n".join([
        "# Likeness: measured", "\n".join(quick_note + [
            f"Measured on {run['machine']['cpu']} with {run['machine']['cores']} cores, {run['machine']['memory_gb']} "
            f"GB RAM, {run['machine']['os']}, by `python -m bench` (`make bench`); every figure comes from the JSON "
            "files beside this report."]),
        "## Headline figures\n\n" + "\n".join(headline),
        sizing(load, core),
        section_core(core, plot_core(core, out)),
        section_gates(quantized),
        section_cheap_wins(wins),
        section_load(load, images),
        section_collections(collections, plot_collections(collections, out)),
        section_memory(memory, plot_memory(memory, out)),
        section_soak(soak),
        section_accuracy(accuracy, plot_roc(accuracy, out)),
        section_calibration(out, accuracy),
        *_additions(out, collections),
        section_machine(run),
    ])
    path = out / "REPORT.md"
    path.write_text(text + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="folder with the JSON results")
    print(f"written to {write(parser.parse_args().out)}")


if __name__ == "__main__":
    main()

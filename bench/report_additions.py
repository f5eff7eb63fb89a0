"""REPORT.md sections for the additions beyond CompreFace: unknown people as the collection grows
(open_set.json), face quality (quality.json) and liveness (liveness.json)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt


def _pct(value: float, digits: int = 2) -> str:
    return f"{value * 100:.{digits}f} %"


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def section_open_set(open_set: dict, collections: dict | None) -> str:
    rows = []
    for size in open_set["sizes"]:
        fixed, auto, bare = size["0.5"], size["auto"], size["auto_no_margin"]
        draws = auto.get("strangers_named_over_draws")
        spread = f" (mean {_pct(draws['mean'])}, worst {_pct(draws['max'])})" if draws else ""
        rows.append([f"{size['faces']:,}" + (f" ({size['synthetic_faces']:,} synthetic)" if size["synthetic_faces"] else ""),
                     _pct(fixed["strangers_named"]), _pct(fixed["genuine_named"]),
                     f"{auto['threshold']:.4f}", _pct(auto["strangers_named"]) + spread, _pct(auto["genuine_named"]),
                     f"{bare['threshold']:.4f}", _pct(bare["strangers_named"]), _pct(bare["genuine_named"])])
    draws = next(size["auto"]["strangers_named_over_draws"]["draws"] for size in open_set["sizes"]
                 if "strangers_named_over_draws" in size["auto"])
    rarest = open_set["impostor_tail"][-1][1]
    largest = open_set["sizes"][-1]
    largest_spread = max((size for size in open_set["sizes"] if "strangers_named_over_draws" in size["auto"]),
                         key=lambda size: size["auto"]["strangers_named_over_draws"]["max"])
    million = (collections or {}).get("1000000")
    search = (f"\n\nSearch (`POST /api/v1/recognition/search`) runs on the same per-service index as recognize: "
              f"p50 **{million['search_p50_ms']} ms** per query at 1,000,000 faces ({million['kind']}, recall@1 "
              f"{million['recall_at_1']}; collections.json).") if million else ""
    return "\n\n".join([
        "## Unknown people as the collection grows (`similarity_threshold=auto`)",
        "Similarity 0.5 is calibrated per comparison (FAR 1e-4); a stranger is compared with every enrolled face, "
        "so at a fixed 0.5 the share of strangers given a name grows with the collection. `auto` raises the "
        "threshold with the number of faces so that, comparisons taken as independent, a stranger is named with "
        f"probability at most the service's stranger target ({_pct(open_set['target'], 0)} by default) divided by a "
        f"margin of {open_set['margin']:g}, from the impostor tail measured on {open_set['impostor_pairs']:,} LFW-dev "
        f"impostor pairs down to {rarest:g} (about five pairs; stored in the pack, handed over by GetStatus). "
        "Past that point the tail is extended as an exponential with the flatter of two slopes, the rarest "
        "measured segment's and the fit to the tail below 1e-3: the measured tail flattens at its top "
        "(look-alikes and mislabelled photos, similarity up to 0.89), so the flatter slope errs towards naming "
        "fewer strangers. The margin covers what the independence formula misses: at 826 real faces a "
        "threshold aimed at the target itself (the last three columns) names more strangers than predicted.",
        _table(["enrolled faces", "strangers named at 0.5", "genuine named at 0.5", "auto threshold",
                "strangers named at auto", "genuine named at auto", "aimed at the target, no margin",
                "strangers named", "genuine named"], rows),
        f"{open_set['sizes'][0]['strangers']} strangers (LFW-dev's single-photo people, never enrolled) and "
        f"{open_set['sizes'][-1]['genuine_probes']:,} genuine probes (the enrolled people's other photos; named = "
        "their own identity first and at or above the threshold). Computed by `python -m bench.open_set` from the "
        "default pack's embeddings of LFW-dev (bench.lfw_faces: the core's models in process, the api's similarity "
        "formula and `common.thresholds`), not through HTTP; tests/api_unit checks that the api's `auto` for a "
        "service's number of faces is the threshold the bench uses. For 10,000 and 100,000 faces the faces beyond "
        "the 826 real ones are synthetic: each probe's best similarity among them is drawn from LFW-dev's own "
        "impostor similarities (Gaussian-sampled embeddings were tried and dropped: their tail is about 6x too "
        f"thin); in brackets, strangers named over {draws} further draws. Everything is in-sample. Honest reading: "
        "the target (at most 1 % of strangers named, at least 97 % of genuine probes named up to 826 faces) is met "
        "at every size, on average over the further draws too. With 407 strangers 1 % is 4 people, so one "
        f"stranger moves a figure by 0.25 %: at {largest_spread['faces']:,} faces the worst of the further draws "
        f"names {round(largest_spread['auto']['strangers_named_over_draws']['max'] * largest_spread['strangers'])}. "
        "Beyond about 10,000 faces the threshold rests on the extrapolated tail and this recognizer's heavy top: "
        f"at {largest['faces']:,} faces auto asks for {largest['auto']['threshold']:.2f} and names "
        f"{_pct(largest['auto']['genuine_named'], 0)} of genuine probes; a collection that large needs a stronger "
        "recognizer rather than a looser threshold."
        + search,
    ])


def plot_error_versus_reject(quality: dict, out: Path) -> str:
    curve = quality["error_versus_reject"]["curve"]
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    axis.plot([100 * point["rejected"] for point in curve], [100 * point["fnmr"] for point in curve], marker="o")
    axis.set_xlabel("lowest-quality pairs rejected (%)")
    axis.set_ylabel("FNMR at FMR 1e-3 (%)")
    axis.set_title("Error versus reject, LightQNet on LFW-dev (w600k_mbf)")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    path = out / "quality_error_versus_reject.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path.name


def section_quality(quality: dict, image: str) -> str:
    evr = quality["error_versus_reject"]
    curve = {point["rejected"]: point for point in evr["curve"]}
    evr_rows = [[_pct(share, 0), _pct(curve[share]["fnmr"], 3), curve[share]["false_non_matches"],
                 f"{curve[share]['genuine_pairs']:,}"] for share in (0.0, 0.05, 0.1, 0.2)]
    degraded = quality["degraded"]
    degraded_rows = [[name.replace("_", " "), f"{row['mean_quality']:.3f}", f"{row['mean_raw']:.3f}",
                      _pct(row["refused_at_default"], 1)] for name, row in degraded.items()]
    gate = quality["gate"]
    gate_rows = []
    for kind in ("original", "blur_sigma3", "downscale_x8"):
        for suffix, label in (("", "every photo enrolled"), ("_gated", "gate at 0.5")):
            row = gate[kind + suffix]
            gate_rows.append([kind.replace("_", " "), label, row["enrolled"], _pct(row["strangers_named_at_0_5"]),
                              _pct(row["genuine_named_correctly_at_0_5"])])
    calibration = quality["calibration"]
    return "\n\n".join([
        "## Face quality (LightQNet, `quality` plugin, enrolment gate)",
        f"Scale (core/plugins/quality.py): LightQNet's raw score is mapped through its LFW-dev percentiles "
        f"({calibration['faces']:,} faces; raw p5 / median / p95 = "
        f"{' / '.join(str(v) for v in calibration['raw_p5_median_p95'])}): 0.5 is the raw score only 1 % of LFW-dev "
        "faces fall below; above it 0.5 + half the (rescaled) share of LFW-dev faces scoring lower; below it, in "
        "proportion to the raw score. The default enrolment minimum 0.5 refuses "
        f"**{_pct(quality['lfw_dev_refused_at_default'])}** of LFW-dev faces. Reasons named on LFW-dev: "
        + ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in quality["lfw_dev_reasons"].items()) + ".",
        f"Error versus reject with the default recognizer ({quality['recognizer']}): every genuine "
        f"({evr['genuine_pairs']:,}) and impostor ({evr['impostor_pairs']:,}) pair of LFW-dev faces, the threshold "
        "fixed at FMR 1e-3 before rejection, a pair's quality the lower of its two faces'. Normalised area over "
        f"0-30 % rejected: {evr['area_normalised']} (1.0 = no better than random).",
        _table(["rejected", "FNMR at FMR 1e-3", "false non-matches", "genuine pairs kept"], evr_rows),
        f"![error versus reject]({image})",
        f"Degraded copies of every 10th LFW-dev photo ({degraded['original']['faces']} faces), scored at the "
        "original's landmarks:",
        _table(["copy", "mean quality", "mean raw score", "refused at 0.5"], degraded_rows),
        f"What the gate does (gallery: the first photo of {gate['gallery_identities']} LFW-dev people, enrolled as "
        f"is, blurred or shrunk; {gate['strangers']} strangers and {gate['genuine_probes']:,} genuine probes, "
        "similarity 0.5):",
        _table(["gallery photos", "enrolment", "faces enrolled", "strangers named", "genuine named"], gate_rows),
        "With this recognizer, blurred or tiny enrolment photos do not raise false matches (their embeddings move "
        "away from everyone, so they are *missed* rather than confused); the gate's effect is that a bad photo is "
        "refused with a reason at enrolment instead of silently failing to match later.",
    ])


def section_liveness(liveness: dict) -> str:
    real = liveness["real_lfw_dev"]
    thresholds = list(real["called_real"])
    rows = [["real LFW-dev photos", real["faces"], *(_pct(real["called_real"][t], 1) for t in thresholds)]]
    for name, proxy in liveness["attack_proxies"].items():
        rows.append([f"proxy: {name.replace('_', ' ')}", proxy["faces"],
                     *(_pct(proxy["called_real"][t], 1) for t in thresholds)])
    return "\n\n".join([
        "## Liveness (MiniFASNet V2 + V1SE, `liveness` plugin)",
        _table(["images", "faces", *(f"called real at {t}" for t in thresholds)], rows),
        f"At the default threshold {liveness['default_threshold']}, **{_pct(real['called_real']['0.5'], 1)}** of real "
        "LFW-dev photos are called real. LFW is press photos re-compressed for the web, outside the models' "
        "domain (camera captures of faces within about 30 degrees of frontal), so this is a floor, not what a "
        "deployment's cameras give. The attack rows are weak synthetic proxies (bench/degrade.py: image edits of "
        "every 10th photo, not re-captured prints or screens): a framed print is caught, recompression is not "
        "told from a real photo at all, screen moire only partly. One image cannot promise liveness: calibrate "
        "LIVENESS_THRESHOLD on your own cameras and real attacks before relying on `require_liveness`.",
    ])

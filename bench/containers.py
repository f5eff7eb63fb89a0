"""The container deployment's figures (``python -m bench.containers``, a step of ``python -m bench``):
image sizes and their largest layers, build time cold (``--no-cache``) and cached, time from
``docker compose up`` to healthy, and what clients saw when a core container was killed under load
-> images.json.

Runs docker-compose.yml as the container tests do (tests/support/stack.py: images built on local
stand-ins of the official base images, which no registry here delivers; the gateway on 127.0.0.1),
under the project name likeness-bench. The sizes include the stand-in Python base
(likeness-standin/python:3.11-slim-bookworm, about the size of the official one).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from bench.output import results_dir, write_json
from tests.support.paths import lfw_image
from tests.support.stack import IMAGES, ComposeStack, kill_a_core_under_load

LARGEST_LAYERS = 3
MB = 1e6


def image_figures(image: str) -> dict:
    """The image's size in MB and its largest layers (MB and the step that made each)."""
    size = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image], capture_output=True,
                          text=True, check=True).stdout
    history = subprocess.run(["docker", "history", "--no-trunc", "--human=false", "--format",
                              "{{.Size}}\t{{.CreatedBy}}", image], capture_output=True, text=True, check=True).stdout
    layers = []
    for line in history.splitlines():
        layer_size, _, step = line.partition("\t")
        step = " ".join(step.replace("/bin/sh -c ", "").replace("#(nop) ", "").split()) or "the base's imported file system"
        layers.append({"mb": round(int(layer_size) / MB, 1), "step": step[:160]})
    largest = sorted(layers, key=lambda layer: -layer["mb"])[:LARGEST_LAYERS]
    return {"mb": round(int(size) / MB, 1), "largest_layers": largest}


def timed(work) -> float:
    started = time.monotonic()
    work()
    return round(time.monotonic() - started, 1)


def run() -> dict:
    """Build cold and cached, start, kill a core under load, stop; the figures."""
    with tempfile.TemporaryDirectory(prefix="likeness-bench-compose-") as folder:
        stack = ComposeStack(Path(folder), project="likeness-bench")
        stack.down()
        try:
            print("build, cold (--no-cache)", flush=True)
            cold = timed(lambda: stack.compose("build", "--no-cache"))
            print("build, cached", flush=True)
            cached = timed(lambda: stack.compose("build"))
            print("up", flush=True)
            started = time.monotonic()
            stack.compose("up", "--detach", "--wait")
            stack.wait_healthy()
            up_to_healthy = round(time.monotonic() - started, 1)
            print("kill a core under load", flush=True)
            stack.compose("up", "--detach", "--wait", "--scale", "core=3")
            stack.wait_healthy()
            key = stack.new_key("recognition")
            killed = kill_a_core_under_load(stack, key, lfw_image("Jacques_Chirac", 1))
        finally:
            stack.down()
    print(f"kill test: {len(killed.failures)} of {len(killed.answers)} recognitions failed", flush=True)
    return {
        "images": {service: image_figures(f"{image}:latest") for service, image in IMAGES.items()},
        "build_seconds_cold": cold,
        "build_seconds_cached": cached,
        "up_to_healthy_seconds": up_to_healthy,
        "kill_test_failures": len(killed.failures),
        "engine": stack.engine_version,
        "compose": stack.compose_version,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    print(write_json(results_dir(args.out, quick=False), "images.json", run()))


if __name__ == "__main__":
    main()

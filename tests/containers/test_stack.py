"""The container deployment, built and run for real: docker-compose.yml on the images built here (on local
stand-ins of the official base images, tests/support/standins.py), checked through the gateway on
127.0.0.1 only, in the order a user meets it. The stack is built once and started once (the session's
``stack``); each test goes on from the state the one before left, and the README's "Run with Docker"
blocks run as written.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support.paths import DATA_DIR, PROJECT_ROOT, lfw_image
from tests.support.stack import IMAGES, ComposeStack, kill_a_core_under_load

SDK_PYTHON = PROJECT_ROOT / ".venv-sdk" / "bin" / "python"
SDK_SESSION = PROJECT_ROOT / "tests" / "api" / "sdk_session.py"
# What a user may see while one core server dies under load: a few requests answered 503.
MOST_KILL_FAILURES = 5
# Values the tests carry from one step to the next.
carried: dict[str, str] = {}


def readme_block(name: str) -> str:
    """The README's ``<!-- docker: NAME -->`` block of commands."""
    found = re.search(rf"<!-- docker: {name} -->\s*```sh\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(), re.DOTALL)
    assert found, f"README.md has no `<!-- docker: {name} -->` block"
    return found.group(1)


def with_photos(commands: str) -> str:
    """The README's alice-1.jpg and alice-2.jpg as two photos of one person from the test data."""
    return (commands.replace("alice-1.jpg", str(lfw_image("Jacques_Chirac", 1)))
            .replace("alice-2.jpg", str(lfw_image("Jacques_Chirac", 2))))


def enrol(stack: ComposeStack, key: str, subject: str, photo: Path) -> dict:
    with photo.open("rb") as image:
        answer = requests.post(f"{stack.url}/api/v1/recognition/faces", params={"subject": subject},
                               headers={"x-api-key": key}, files={"file": image}, timeout=60)
    assert answer.status_code == 201, answer.text
    return answer.json()


def faces(stack: ComposeStack, key: str) -> set[str]:
    answer = requests.get(f"{stack.url}/api/v1/recognition/faces", headers={"x-api-key": key}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {face["image_id"] for face in answer.json()["faces"]}


def core_calls(stack: ComposeStack, container: str) -> float:
    """Recognition calls (not health checks) the core server in ``container`` has answered, from its own
    metrics, read inside the container on its loopback."""
    read = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:51051/metrics', timeout=10)"
            ".read().decode())")
    done = subprocess.run(["docker", "exec", container, "python", "-c", read], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    total = 0.0
    for line in done.stdout.splitlines():
        if line.startswith("likeness_core_grpc_requests_total{") and "Health" not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.mark.timeout(1800)  # the first build on a machine downloads every dependency
def container_address(container: str) -> str:
    """The container's address on the stack's network (to tell which server answered; never called)."""
    return subprocess.run(["docker", "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                           container], capture_output=True, text=True, check=True).stdout.strip()


def test_1_every_image_builds(stack: ComposeStack) -> None:
    started = time.monotonic()
    stack.compose("build")
    print(f"build: {time.monotonic() - started:.0f} s")
    for service, image in IMAGES.items():
        inspected = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}} {{.Config.User}}", image],
                                   capture_output=True, text=True)
        assert inspected.returncode == 0, f"{service}: no image {image} after the build"
        size, user = inspected.stdout.split()
        assert user not in ("", "root", "0"), f"{image} runs as root"
        print(f"{image}: {int(size) / 1e6:.0f} MB")


def test_2_up_migrates_once_brings_the_models_and_turns_healthy(stack: ComposeStack) -> None:
    up = readme_block("up").splitlines()[0]
    assert up.startswith("docker compose up -d --build --wait")
    started = time.monotonic()
    stack.shell(up)
    stack.wait_healthy()
    print(f"up to healthy: {time.monotonic() - started:.0f} s")
    assert requests.get(f"{stack.url}/health", timeout=10).status_code == 200
    states = stack.health()
    for service in ("postgres", "core", "api", "admin", "gateway"):
        assert [state for name, state in states.items() if f"-{service}-" in name] == ["healthy"], states
    for one_shot in ("migrate", "models"):
        runs = json.loads("[" + ",".join(stack.compose("ps", "--all", "--format", "json", one_shot)
                                         .stdout.split("\n")[:-1]) + "]")
        assert [(run["State"], run["ExitCode"]) for run in runs] == [("exited", 0)], f"{one_shot}: {runs}"
    migrated = stack.compose("logs", "--no-color", "migrate").stdout
    assert migrated.count("The database schema is at revision") == 1, f"the migrations did not run once:\n{migrated}"
    models = stack.compose("logs", "--no-color", "models").stdout
    assert "detector: /models/" in models and "calculator: /models/" in models, models


def test_3_the_readme_quick_start_and_the_compreface_sdk(stack: ComposeStack) -> None:
    run = stack.shell(with_photos(readme_block("up")))
    starts = [found.start() for found in re.finditer(r'\{\s*"result"', run.stdout)]
    assert starts, f"no recognition answer in the output:\n{run.stdout}"
    recognised = json.loads(run.stdout[starts[-1]:])
    best = recognised["result"][0]["subjects"][0]
    assert best["subject"] == "Alice" and best["similarity"] > 0.5, recognised

    assert SDK_PYTHON.exists(), f"{SDK_PYTHON} is missing: `make sdk-venv` (part of `make test`) creates it"
    keys = [stack.new_key(kind) for kind in ("recognition", "detection", "verification")]
    photos = [str(lfw_image("Jacques_Chirac", number)) for number in (1, 2, 3)]
    sdk = subprocess.run([str(SDK_PYTHON), str(SDK_SESSION), "http://127.0.0.1", str(stack.port), *keys, *photos,
                          str(DATA_DIR / "group-photos" / "insightface_t1.jpg")],
                         capture_output=True, text=True, timeout=300)
    assert sdk.returncode == 0, sdk.stderr
    answers = json.loads(sdk.stdout)
    assert answers["recognize"]["result"][0]["subjects"][0]["subject"] == "SDK Renamed"
    assert len(answers["detect"]["result"]) == 6
    assert answers["verify"]["result"][0]["face_matches"][0]["similarity"] > 0.5

    carried["key"] = stack.new_key("recognition")
    carried["face"] = enrol(stack, carried["key"], "Persistent", lfw_image("Jacques_Chirac", 4))["image_id"]


def test_4_scaled_out_every_core_serves_and_both_api_servers_agree(stack: ComposeStack) -> None:
    stack.shell(readme_block("scale"))
    stack.wait_healthy()
    cores, apis = stack.containers("core"), stack.containers("api")
    assert len(cores) == 3 and len(apis) == 2, (cores, apis)
    before = {core: core_calls(stack, core) for core in cores}
    key = carried["key"]
    added = enrol(stack, key, "Scaled", lfw_image("Jacques_Chirac", 5))
    for _ in range(24):
        answer = stack.recognize(key, lfw_image("Jacques_Chirac", 6))
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"][0]["subjects"][0]["subject"] in ("Scaled", "Persistent")
    # Listings one after another, so that the gateway's round robin gives them to every api server in turn
    # (interleaved with the recognitions above, they could all land on the same one).
    for _ in range(8):
        listed = requests.get(f"{stack.url}/api/v1/recognition/faces", headers={"x-api-key": key}, timeout=30)
        assert added["image_id"] in {face["image_id"] for face in listed.json()["faces"]}
    after = {core: core_calls(stack, core) for core in cores}
    idle = [core for core in cores if after[core] <= before[core]]
    assert not idle, f"no recognition reached {idle}: calls before {before}, after {after}"
    # The gateway's access log names the api server (upstream) that answered each request.
    gateway_log = stack.compose("logs", "--no-color", "gateway").stdout
    answering = set(re.findall(r'"method":"GET","path":"/api/v1/recognition/faces".*?"upstream":"([\d.]+):8080"', gateway_log))
    addresses = {container_address(api) for api in apis}
    assert answering == addresses, f"the face list was answered by {answering}, the api servers are {addresses}"


def test_5_a_core_killed_under_load_costs_a_few_503s_and_the_stream_recovers(stack: ComposeStack) -> None:
    run = kill_a_core_under_load(stack, carried["key"], lfw_image("Jacques_Chirac", 6))
    failures = run.failures
    print(f"kill test: {len(run.answers)} recognitions, {len(failures)} failed")
    assert len(failures) <= MOST_KILL_FAILURES, failures
    for status, text in failures:
        assert status == 503 and "message" in json.loads(text), (status, text)
    recovered = [status for at, status, _ in run.answers if at > run.killed_at + 10]
    assert recovered and set(recovered) == {200}, f"after the kill: {recovered}"
    carried["kill_failures"] = str(len(failures))


def test_6_down_and_up_keep_the_data_and_down_v_removes_it(stack: ComposeStack) -> None:
    stack.shell(readme_block("restart"))
    stack.wait_healthy()
    assert carried["face"] in faces(stack, carried["key"])
    assert "you@example.com" in stack.likeness("user", "list")
    volumes = stack.compose("config", "--volumes").stdout.split()
    named = {f"{stack.project}_{volume}" for volume in volumes}
    listed = subprocess.run(["docker", "volume", "ls", "--quiet"], capture_output=True, text=True).stdout.split()
    assert named <= set(listed) | {f"{stack.project}_models"}, (named, listed)  # models: the shared folder here
    stack.compose("down", "-v")
    listed = subprocess.run(["docker", "volume", "ls", "--quiet"], capture_output=True, text=True).stdout.split()
    assert not named & set(listed), f"docker compose down -v left {named & set(listed)}"


@pytest.mark.timeout(1800)  # CUDA and cuDNN from PyPI, the first time
def test_7_the_gpu_override_renders_and_core_gpu_builds(stack: ComposeStack) -> None:
    """The README's GPU block; its last line needs an NVIDIA GPU to start core, so here the test builds
    what that line builds instead."""
    block = readme_block("gpu").replace("up -d --build --wait", "build core")
    stack.shell(block)
    rendered = stack.compose("-f", "docker-compose.yml", "-f", "docker-compose.gpu.yml", "config", "--format", "json")
    core = json.loads(rendered.stdout)["services"]["core"]
    assert core["image"] == "likeness/core-gpu:latest" and core["build"]["args"]["CORE_EXTRA"] == "core-gpu"
    assert core["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"
    listed = subprocess.run(["docker", "run", "--rm", "--entrypoint", "python", "likeness/core-gpu:latest", "-c",
                             "import onnxruntime; print(onnxruntime.get_available_providers())"],
                            capture_output=True, text=True, timeout=120)
    assert "CUDAExecutionProvider" in listed.stdout, listed.stdout + listed.stderr


def test_8_an_external_postgresql_instead_of_the_bundled_one(stack: ComposeStack) -> None:
    database = stack.external_postgres("docker-compose.yml", "docker-compose.external-db.yml")
    stack.shell(readme_block("external-postgres").replace(
        "postgresql://likeness:secret@db.example.com:5432/likeness", database.url))
    stack.wait_healthy()
    assert not stack.containers("postgres"), "the bundled postgres started too"
    key = stack.new_key("recognition")
    enrol(stack, key, "External", lfw_image("Jacques_Chirac", 1))
    assert "External" in database.query("SELECT name FROM subjects")

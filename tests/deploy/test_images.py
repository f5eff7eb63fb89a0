"""The Dockerfiles, checked offline (no docker): each image builds from files that exist and that
.dockerignore lets into the build context, runs as an unprivileged user on python:3.11-slim, and holds
every module and distribution its service imports: the service's entry points are imported with only
the project files the Dockerfile copies and the distributions it installs, as in the image.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

from tests.deploy.deployment_files import (
    IMAGE_PROJECT_ROOT, copied_sources, dockerfile_instructions, dockerfiles, final_stage,
    installed_requirements, requirements_module)
from tests.support.paths import PROJECT_ROOT


def test_every_image_has_a_dockerfile_that_runs_as_a_user_on_python_slim() -> None:
    images = dockerfiles()
    assert {"likeness/core", "likeness/core-gpu", "likeness/api", "likeness/admin", "likeness/gateway"} <= set(images)
    for image, path in images.items():
        assert path.is_file(), f"{image}: {path} does not exist"
        instructions = dockerfile_instructions(path)
        stage = final_stage(instructions)
        # The base is the build argument PYTHON_IMAGE, declared before the first stage; its default is the official image.
        assert instructions[0].keyword == "ARG" and instructions[0].arguments.startswith("PYTHON_IMAGE="), path
        assert re.fullmatch(r"python:3\.11-slim-bookworm", instructions[0].arguments.partition("=")[2]), path
        assert all(instruction.arguments.split()[0] == "${PYTHON_IMAGE}" for instruction in instructions
                   if instruction.keyword == "FROM"), f"{path}: a stage not on ${{PYTHON_IMAGE}}"
        users = [instruction.arguments for instruction in stage if instruction.keyword == "USER"]
        assert users and users[-1] not in ("root", "0"), f"{path} runs as root"
        assert any(instruction.keyword == "CMD" for instruction in stage), f"{path} has no CMD"


def test_dockerfiles_copy_only_what_exists_and_the_build_context_holds() -> None:
    patterns = [line for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
                if line and not line.startswith("#")]
    included = [pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")]
    assert patterns[0] == "*", ".dockerignore should start from nothing and name what the images need"
    for path in set(dockerfiles().values()):
        for source, _destination in copied_sources(dockerfile_instructions(path)):
            assert (PROJECT_ROOT / source).exists(), f"{path.relative_to(PROJECT_ROOT)} copies {source}, which does not exist"
            assert any(source == entry or source.startswith(entry + "/") for entry in included), (
                f"{path.relative_to(PROJECT_ROOT)} copies {source}, which .dockerignore leaves out")


def test_scripts_the_images_run_are_executable() -> None:
    for path in set(dockerfiles().values()):
        for source, destination in copied_sources(dockerfile_instructions(path)):
            if destination.startswith("/usr/local/bin/"):
                assert os.access(PROJECT_ROOT / source, os.X_OK), f"{source} is copied as a command but not executable"


def test_no_model_is_downloaded_at_build_time_unless_a_build_arg_asks() -> None:
    for path in set(dockerfiles().values()):
        instructions = dockerfile_instructions(path)
        defaults = dict(instruction.arguments.split("=", 1) for instruction in instructions
                        if instruction.keyword == "ARG" and "=" in instruction.arguments)
        fetches = [instruction.arguments for instruction in instructions
                   if instruction.keyword == "RUN" and "fetch-models" in instruction.arguments]
        for fetch in fetches:
            assert 'if [ "$FETCH_MODELS" = true ]' in fetch and defaults["FETCH_MODELS"] == "false", (
                f"{path.relative_to(PROJECT_ROOT)} downloads models at build time without being asked: {fetch}")
    core = dockerfile_instructions(dockerfiles()["likeness/core"])
    assert any("likeness-fetch-models" in instruction.arguments for instruction in core if instruction.keyword == "RUN")


# Each image's entry points: importing them must find every project module in the files the image
# copies and every distribution among those it installs.
IMAGE_ENTRY_MODULES = {
    "likeness/core": ["core.server", "deploy/docker/fetch_models.py"],
    "likeness/api": ["api.app", "runner.gunicorn", "runner.gunicorn_config", "deploy/docker/wait_for_schema.py"],
    "likeness/admin": ["admin.app", "cli.main", "runner.gunicorn", "runner.gunicorn_config",
                       "deploy/docker/wait_for_schema.py"],
    "likeness/gateway": ["runner.gateway"],
}
_IMPORTER = """
import importlib, importlib.abc, importlib.util, json, os, sys

ABSENT = set(json.loads(os.environ["ABSENT_MODULES"]))


class Absent(importlib.abc.MetaPathFinder):
    \"\"\"What the image lacks cannot be imported, as in the image (optional imports then fall back).\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r} in the image", name=name)


sys.meta_path.insert(0, Absent())
before = set(sys.modules)
for entry in sys.argv[1:]:
    if entry.endswith(".py"):
        spec = importlib.util.spec_from_file_location("entry_script", entry)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    else:
        importlib.import_module(entry)
print(json.dumps({name: getattr(module, "__file__", None) for name, module in sys.modules.items()
                  if name not in before and getattr(module, "__file__", None)}))
"""


def _image_tree(dockerfile: Path, destination: Path) -> None:
    """The project files ``dockerfile`` copies to /app, laid out under ``destination``."""
    workdir = "/"
    for instruction in dockerfile_instructions(dockerfile):
        if instruction.keyword == "WORKDIR":
            workdir = instruction.arguments
        elif instruction.keyword == "COPY" and "--from=" not in instruction.arguments:
            words = [word for word in instruction.arguments.split() if not word.startswith("--")]
            target = words[-1] if words[-1].startswith("/") else f"{workdir.rstrip('/')}/{words[-1]}"
            if not target.startswith(IMAGE_PROJECT_ROOT + "/") and target != IMAGE_PROJECT_ROOT:
                continue
            place = destination / target[len(IMAGE_PROJECT_ROOT):].lstrip("/")
            for source in words[:-1]:
                origin = PROJECT_ROOT / source
                into = place / origin.name if target.endswith("/") or len(words) > 2 else place
                if origin.is_dir():
                    shutil.copytree(origin, into, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, into)


def _distribution_closure(requirements: list[str]) -> set[str]:
    """The distributions pip installs for ``requirements`` (as installed here), canonical names."""
    canonical = requirements_module().canonical
    seen: set[str] = set()
    pending = [(Requirement(text), tuple(Requirement(text).extras)) for text in requirements]
    while pending:
        requirement, extras = pending.pop()
        name = canonical(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # e.g. onnxruntime-gpu, not installed on this machine: its imports are checked as onnxruntime's
        for text in requires:
            child = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                pending.append((child, tuple(child.extras)))
    return seen


def _absent_modules(tree: Path, installed: set[str]) -> list[str]:
    """Top-level modules importable here but not in the image: the project's packages it does not
    copy, and modules of distributions it does not install."""
    canonical = requirements_module().canonical
    absent = [path.name for path in PROJECT_ROOT.iterdir()
              if (path / "__init__.py").is_file() and not (tree / path.name).exists()]
    for module, distributions in importlib.metadata.packages_distributions().items():
        if not (tree / module).exists() and not {canonical(name) for name in distributions} & installed:
            absent.append(module)
    return absent


def test_images_hold_every_module_and_distribution_their_services_import(tmp_path: Path) -> None:
    images = dockerfiles()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    runs = {}
    (tmp_path / "metrics").mkdir()  # prometheus_client's multiprocess folder, as gunicorn's config makes it
    for image, entries in IMAGE_ENTRY_MODULES.items():
        tree = tmp_path / image.replace("/", "-")
        tree.mkdir()
        _image_tree(images[image], tree)
        installed = _distribution_closure(installed_requirements(dockerfile_instructions(images[image])))
        scripts = [str(PROJECT_ROOT / entry) for entry in entries if entry.endswith(".py")]
        modules = [entry for entry in entries if not entry.endswith(".py")]
        runs[image] = (tree, subprocess.Popen(
            [sys.executable, "-c", _IMPORTER, *modules, *scripts], cwd=tree, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(tree), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                 "ABSENT_MODULES": json.dumps(_absent_modules(tree, installed))}))
    for image, (tree, process) in runs.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, (
            f"{image}: importing {IMAGE_ENTRY_MODULES[image]} with only what its Dockerfile copies and installs "
            f"failed:\n{err[-2000:]}")
        for module, file in json.loads(out).items():
            location = Path(file).resolve()
            assert (location.is_relative_to(tree.resolve()) or "site-packages" in location.parts
                    or location.is_relative_to(stdlib) or module == "entry_script"), (
                f"{image} imports {module} from {location}, outside the image")

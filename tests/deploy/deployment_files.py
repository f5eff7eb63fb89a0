"""Reading the deployment files as docker compose, kubectl and docker read them, for the offline checks.

Compose files are interpolated with .env (``${NAME:-default}``, nested, ``$$``); Kubernetes
manifests are read per object; Dockerfiles per instruction, with what they copy and install.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import yaml

from admin.settings import AdminSettings
from api.settings import ApiSettings
from core.settings import CoreSettings
from runner.gateway import GatewaySettings
from tests.support.paths import PROJECT_ROOT

KUBERNETES_VERSION = "1.33.0"
KUBERNETES_DIR = PROJECT_ROOT / "deploy" / "kubernetes"
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
GPU_COMPOSE_FILE = PROJECT_ROOT / "docker-compose.gpu.yml"
ENV_FILE = PROJECT_ROOT / ".env"
SETTINGS_CLASSES = (CoreSettings, ApiSettings, AdminSettings, GatewaySettings)
# The images put the project at /app: defaults under the project root are shown there in .env.
IMAGE_PROJECT_ROOT = "/app"
SCALED_SERVICES = ("core", "api")
# Settings that name other servers: host:port lists, URLs.
ADDRESS_SETTINGS = ("PYTHON_URL", "API_UPSTREAM", "ADMIN_UPSTREAM", "API_URLS", "DATABASE_URL")
POSTGRES_PORT = 5432


# --- settings and .env -------------------------------------------------------------------------------

def settings_defaults() -> dict[str, set[str]]:
    """Every setting of every service (upper case) -> its defaults as .env writes them."""
    defaults: dict[str, set[str]] = {}
    for settings_class in SETTINGS_CLASSES:
        for name, info in settings_class.model_fields.items():
            defaults.setdefault(name.upper(), set()).add(_as_env_value(info.get_default(call_default_factory=True)))
    return defaults


def _as_env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, Path) and value.is_relative_to(PROJECT_ROOT):
        return f"{IMAGE_PROJECT_ROOT}/{value.relative_to(PROJECT_ROOT)}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@dataclass(frozen=True)
class EnvLine:
    name: str
    value: str
    active: bool  # not commented out
    line: int


def env_lines() -> list[EnvLine]:
    """The settings .env names: ``NAME=value`` lines, active or behind ``# ``."""
    found = []
    for number, text in enumerate(ENV_FILE.read_text().splitlines(), 1):
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", text.strip())
        if match:
            found.append(EnvLine(match.group(2), match.group(3), match.group(1) is None, number))
    return found


def interpolate(text: str, env: dict[str, str]) -> str:
    """``text`` with ``$$``, ``$NAME`` and ``${NAME}``, ``${NAME:-default}`` (nested) and the other
    operators replaced, as docker compose does it."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i)
            out.append(_expand(text[i + 2:end], env))
            i = end + 1
        elif match := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:]):
            out.append(env.get(match.group(1), ""))
            i += match.end()
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start + 1, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise AssertionError(f"unclosed ${{ in {text!r}")


def _expand(expression: str, env: dict[str, str]) -> str:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", expression, re.DOTALL)
    assert match, f"compose cannot interpolate ${{{expression}}}"
    name, operator, argument = match.groups()
    value = env.get(name)
    missing = value is None or (operator is not None and operator.startswith(":") and value == "")
    if operator is None:
        return value or ""
    if operator.endswith("-"):
        return interpolate(argument, env) if missing else value
    if operator.endswith("+"):
        return "" if missing else interpolate(argument, env)
    assert not missing, f"compose stops: {name} is required ({argument})"
    return value


def _interpolated(document: object, env: dict[str, str]) -> object:
    if isinstance(document, str):
        return interpolate(document, env)
    if isinstance(document, list):
        return [_interpolated(item, env) for item in document]
    if isinstance(document, dict):
        return {key: _interpolated(value, env) for key, value in document.items()}
    return document


def compose_env() -> dict[str, str]:
    """What docker compose interpolates with: the active lines of .env."""
    return {line.name: line.value for line in env_lines() if line.active}


@cache
def compose(path: Path = COMPOSE_FILE) -> dict:
    """A compose file as docker compose sees it (YAML merge keys resolved, variables interpolated)."""
    return _interpolated(yaml.safe_load(path.read_text()), compose_env())


def compose_variables() -> set[str]:
    """Variables the compose files interpolate (``$${...}`` is left to the container's shell)."""
    text = COMPOSE_FILE.read_text() + GPU_COMPOSE_FILE.read_text()
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


def merged(base: dict, override: dict) -> dict:
    """``override`` applied on ``base`` (mappings merged, anything else replaced)."""
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def likeness_services() -> dict[str, dict]:
    """The compose services running Likeness's own images (they read .env)."""
    return {name: service for name, service in compose()["services"].items() if ".env" in _env_files(service)}


def _env_files(service: dict) -> list[str]:
    files = service.get("env_file", [])
    return [files] if isinstance(files, str) else list(files)


@cache
def kubernetes_documents() -> tuple[tuple[Path, dict], ...]:
    """Every Kubernetes object under deploy/kubernetes, with its file (kustomizations aside)."""
    documents = []
    for path in sorted(KUBERNETES_DIR.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            documents += [(path, document) for document in yaml.safe_load_all(path.read_text()) if document]
    return tuple(documents)


def kubernetes_objects(kind: str) -> dict[str, dict]:
    """Objects of ``kind`` in the base (not the GPU overlay's patches), by name."""
    return {document["metadata"]["name"]: document for path, document in kubernetes_documents()
            if document["kind"] == kind and path.parent == KUBERNETES_DIR}


def pod_specs() -> dict[str, dict]:
    """The pod template of every workload in the base, by workload name."""
    specs = {}
    for kind in ("Deployment", "StatefulSet", "Job"):
        for name, workload in kubernetes_objects(kind).items():
            specs[name] = workload["spec"]["template"]
    return specs


def all_containers(template: dict) -> list[dict]:
    spec = template["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def container_env(container: dict, config: dict[str, str]) -> dict[str, str]:
    """What a container's environment holds: the ConfigMap's entries, then its own ``env``."""
    env = dict(config) if any("configMapRef" in source for source in container.get("envFrom", [])) else {}
    for variable in container.get("env", []):
        env[variable["name"]] = variable["value"] if "value" in variable else f"<from {next(iter(variable['valueFrom']))}>"
    return env


def host_ports(value: str) -> list[tuple[str, int]]:
    """The (host, port) pairs an address setting names: ``a:1,b:2`` or URLs."""
    pairs = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        split = urlsplit(item if "://" in item else f"//{item}")
        pairs.append((split.hostname, split.port))
    return pairs


# --- Dockerfiles ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_instructions(path: Path) -> list[Instruction]:
    text = re.sub(r"\\\n", " ", path.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    starts = [i for i, instruction in enumerate(instructions) if instruction.keyword == "FROM"]
    return instructions[starts[-1]:]


def copied_sources(instructions: list[Instruction]) -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context (not from another stage)."""
    pairs = []
    for instruction in instructions:
        if instruction.keyword != "COPY" or "--from=" in instruction.arguments:
            continue
        words = [word for word in instruction.arguments.split() if not word.startswith("--")]
        pairs += [(source, words[-1]) for source in words[:-1]]
    return pairs


def dockerfiles() -> dict[str, Path]:
    """Every image the compose files build (the GPU override's too) -> its Dockerfile."""
    images = {}
    override = compose(GPU_COMPOSE_FILE)["services"]
    for name, service in compose()["services"].items():
        for variant in (service, merged(service, override.get(name, {}))):
            if "build" in variant:
                images[variant["image"].split(":")[0]] = PROJECT_ROOT / variant["build"]["dockerfile"]
    return images


def image_commands(dockerfile: Path) -> set[str]:
    """Likeness's commands in an image: scripts copied to /usr/local/bin, and the project's console
    scripts when the image installs the project."""
    instructions = dockerfile_instructions(dockerfile)
    commands = {Path(destination).name for _source, destination in copied_sources(instructions)
                if destination.startswith("/usr/local/bin/")}
    if any("pip install --no-deps --editable ." in instruction.arguments for instruction in instructions):
        commands |= set(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    return commands


def requirements_module() -> ModuleType:
    """deploy/docker/requirements.py, the Dockerfiles' requirement lister."""
    spec = importlib.util.spec_from_file_location("requirements", PROJECT_ROOT / "deploy" / "docker" / "requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def installed_requirements(instructions: list[Instruction]) -> list[str]:
    """The requirements a Dockerfile installs (its ARGs at their defaults): through
    deploy/docker/requirements.py, or named to pip."""
    requirements = requirements_module()
    arguments: dict[str, str] = {}
    found: list[str] = []
    for instruction in instructions:
        if instruction.keyword == "ARG" and "=" in instruction.arguments:
            name, value = instruction.arguments.split("=", 1)
            arguments[name] = value
        if instruction.keyword != "RUN":
            continue
        words = shlex.split(interpolate(instruction.arguments, arguments))
        for command in _split_commands(words):
            if any(word.endswith("requirements.py") for word in command):
                given = command[next(i for i, w in enumerate(command) if w.endswith("requirements.py")) + 1:]
                given = given[:given.index(">")] if ">" in given else given
                parsed = requirements.argument_parser().parse_args(given)
                parsed.pyproject = PROJECT_ROOT / "pyproject.toml"
                found += requirements.requirements_for(parsed)
            elif (command[0].endswith("pip") or command[1:3] == ["-m", "pip"]) and "install" in command:
                found += _pip_install_names(command)
    return found


def _split_commands(words: list[str]) -> list[list[str]]:
    commands, current = [], []
    for word in words:
        if word in ("&&", ";", "||"):
            commands.append(current)
            current = []
        else:
            current.append(word)
    return [command for command in commands + [current] if command]


def _pip_install_names(command: list[str]) -> list[str]:
    arguments = command[command.index("install") + 1:]
    names, skip = [], False
    for word in arguments:
        if skip:
            skip = False
        elif word in ("--constraint", "-c", "--requirement", "-r", "--editable", "-e"):  # not names to install
            skip = True
        elif not word.startswith("-"):
            names.append(word)
    return names

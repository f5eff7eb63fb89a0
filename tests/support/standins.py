"""Local stand-ins for the official base images, which no registry here can deliver, built from Debian.

``ensure_standins`` builds what is missing, once per machine (later runs find them in the engine; a
change to their recipe rebuilds them):

* ``likeness-standin/debian:bookworm``: a minimal bookworm from ``debootstrap`` with this machine's
  CA bundle, so that containers trust what the machine trusts;
* ``likeness-standin/python:3.11-slim-bookworm`` for ``python:3.11-slim-bookworm``: Debian's python3
  (3.11, at /usr/bin/python3) and venv;
* ``likeness-standin/postgres:15-bookworm`` for ``postgres:16-alpine``: Debian's PostgreSQL 15 behind
  an entry point that reads the official image's POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.

The compose file keeps naming the official images; ``override_file`` writes the compose override that
puts the stand-ins in their place (build arguments and the postgres image), nothing else.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.support.engine import EngineUnavailable

FOLDER = Path(__file__).parent / "standin_images"
DEBIAN = "likeness-standin/debian:bookworm"
PYTHON = "likeness-standin/python:3.11-slim-bookworm"
POSTGRES = "likeness-standin/postgres:15-bookworm"
MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_TIMEOUT_S = 1200
# The services of docker-compose.yml built from the Python base, and the argument that names it.
BUILT_SERVICES = ("migrate", "models", "core", "api", "admin", "gateway")
BASE_ARGUMENT = "PYTHON_IMAGE"


RECIPE_LABEL = "likeness.standin.recipe"
# What a slim image leaves out (as the official slim images do), and apt's caches removed after each install.
DPKG_EXCLUDES = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
APT_CLEAN = """DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
"""


def recipe(name: str) -> str:
    """A digest of how the stand-in ``name`` is made (the Debian base's recipe and this machine's CA bundle,
    plus its own files): an image made from another recipe is rebuilt."""
    digest = hashlib.sha256("\n".join((MIRROR, DPKG_EXCLUDES, APT_CLEAN)).encode() + CA_BUNDLE.read_bytes())
    own = {PYTHON: ["python.Dockerfile"], POSTGRES: ["postgres.Dockerfile", "postgres-entrypoint.sh"]}
    for file in own.get(name, []):
        digest.update((FOLDER / file).read_bytes())
    return digest.hexdigest()[:16]


def _is_current(name: str) -> bool:
    """Whether the engine holds ``name``, made from the current recipe."""
    done = subprocess.run(["docker", "image", "inspect", "--format", f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}',
                           name], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == recipe(name)


def _run(command: list[str], **options) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, **options)
    if done.returncode != 0:
        raise EngineUnavailable(f"{' '.join(command[:3])} ... failed:\n{(done.stdout + done.stderr)[-3000:]}")


def _build_debian() -> None:
    debootstrap = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin")
    if debootstrap is None:
        raise EngineUnavailable("debootstrap is missing (it builds the stand-in base images): `make container-deps`")
    with tempfile.TemporaryDirectory(prefix="likeness-standin-") as folder:
        root = Path(folder) / "root"
        _run([debootstrap, "--variant=minbase", "--include=ca-certificates", "bookworm", str(root), MIRROR])
        shutil.copyfile(CA_BUNDLE, root / CA_BUNDLE.relative_to("/"))
        (root / "etc/dpkg/dpkg.cfg.d/slim").write_text(DPKG_EXCLUDES)
        (root / "etc/apt/apt.conf.d/docker-clean").write_text(APT_CLEAN)
        for folder_inside in ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
                              "var/cache/apt", "var/lib/apt/lists", "var/log"):
            for entry in (root / folder_inside).rglob("*"):
                if (entry.is_file() or entry.is_symlink()) and entry.name not in ("copyright", "locale.alias"):
                    entry.unlink()
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        _run(["docker", "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "--change", f"LABEL {RECIPE_LABEL}={recipe(DEBIAN)}", "--change", 'CMD ["bash"]', "-", DEBIAN],
             stdin=tar.stdout)
        tar.wait()


def _build(name: str, dockerfile: str) -> None:
    _run(["docker", "build", "--file", str(FOLDER / dockerfile), "--build-arg", f"DEBIAN_IMAGE={DEBIAN}",
          "--label", f"{RECIPE_LABEL}={recipe(name)}", "--tag", name, str(FOLDER)])


def ensure_standins() -> dict[str, str]:
    """Build the stand-ins that are missing (or made from an older recipe); returns {official image: stand-in}."""
    if not _is_current(DEBIAN):
        _build_debian()
    for name, dockerfile in ((PYTHON, "python.Dockerfile"), (POSTGRES, "postgres.Dockerfile")):
        if not _is_current(name):
            _build(name, dockerfile)
    return {"python:3.11-slim-bookworm": PYTHON, "postgres:16-alpine": POSTGRES}


def override(python_image: str = PYTHON) -> dict:
    """The compose override that builds every image on ``python_image`` and runs the stand-in PostgreSQL."""
    services: dict[str, dict] = {name: {"build": {"args": {BASE_ARGUMENT: python_image}}} for name in BUILT_SERVICES}
    services["postgres"] = {"image": POSTGRES}
    return {"services": services}


def override_file(folder: Path) -> Path:
    """``override()`` written as a compose file in ``folder``."""
    path = folder / "standins.override.yml"
    path.write_text("# Written by tests/support/standins.py: the local stand-ins for the official base images.\n"
                    + yaml.safe_dump(override(), sort_keys=False))
    return path

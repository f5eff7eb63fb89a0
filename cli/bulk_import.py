"""Bulk enrolment: a folder of ``<subject>/<image>`` files, or a zip of one, into a recognition
service through a running api server, several files at a time.

What was imported is kept in a state file (beside the folder or zip by default): a file whose
content was imported before is skipped on the next run, so an interrupted import can simply be
run again. Files that failed are tried again.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import requests

from common.image_files import IMAGE_EXTENSIONS

# CompreFace's codes for an image that cannot be enrolled, as a person would say it. Code 28 is
# also what the core's refusal of a broken image becomes; its message then says so.
REASONS = {28: "no face", 31: "several faces", 21: "unreadable", 26: "refused"}
NO_FACE_MESSAGE = "No face is found in the given image"


@dataclass(frozen=True)
class ImageFile:
    subject: str
    name: str  # path inside the folder or zip, for messages and the state file
    read: Callable[[], bytes]


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # file -> why

    def summary(self) -> str:
        reasons = Counter(reason.split(":")[0] for reason in self.failed.values())
        failed = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
        return (f"{self.imported} imported, {self.skipped} already imported before, "
                f"{len(self.failed)} failed" + (f" ({failed})" if failed else ""))


def image_files(source: Path) -> list[ImageFile]:
    """Every image of a folder or zip laid out as ``<subject>/<image>``."""
    if zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        names = [name for name in archive.namelist() if not name.endswith("/")]
        return [ImageFile(PurePosixPath(name).parent.name, name, lambda name=name: archive.read(name))
                for name in sorted(names) if _is_image(PurePosixPath(name))]
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a folder nor a zip file")
    return [ImageFile(path.parent.name, str(path.relative_to(source)), path.read_bytes)
            for path in sorted(source.glob("*/*")) if path.is_file() and _is_image(path)]


def _is_image(path: PurePosixPath | Path) -> bool:
    return path.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS and len(path.parts) >= 2


class StateFile:
    """Per service, the sha256 of each imported file's content -> its image_id; saved after every
    import. Services are told apart by a hash of their API key, so the key is not written down."""

    def __init__(self, path: Path, api_key: str) -> None:
        self.path = path
        self.service = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
        self.imported = self._services.setdefault(self.service, {})

    def __contains__(self, digest: str) -> bool:
        return digest in self.imported

    def add(self, digest: str, image_id: str) -> None:
        with self._lock:
            self.imported[digest] = image_id
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._services))
            temporary.replace(self.path)


def import_folder(source: Path, api_url: str, api_key: str, state: StateFile, workers: int,
                  progress: Callable[[], None] = lambda: None) -> ImportReport:
    """Enrols every image of ``source``; ``progress`` is called once per file."""
    report = ImportReport()
    report_lock = threading.Lock()
    session = requests.Session()
    url = f"{api_url.rstrip('/')}/api/v1/recognition/faces"

    def one(image: ImageFile) -> None:
        outcome = _enrol(session, url, api_key, state, image)
        with report_lock:
            if outcome == "imported":
                report.imported += 1
            elif outcome == "skipped":
                report.skipped += 1
            else:
                report.failed[image.name] = outcome
        progress()

    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, image_files(source)):
            pass
    return report


def _enrol(session: requests.Session, url: str, api_key: str, state: StateFile, image: ImageFile) -> str:
    """"imported", "skipped", or why the file failed."""
    try:
        content = image.read()
    except OSError as error:
        return f"unreadable: {error}"
    digest = hashlib.sha256(content).hexdigest()
    if digest in state:
        return "skipped"
    try:
        response = session.post(url, headers={"x-api-key": api_key}, params={"subject": image.subject},
                                files={"file": (PurePosixPath(image.name).name, content)}, timeout=120)
    except requests.RequestException as error:
        return f"not sent: {error}"
    if response.status_code == 201:
        state.add(digest, response.json()["image_id"])
        return "imported"
    return _reason(response)


def _reason(response: requests.Response) -> str:
    try:
        code, message = response.json()["code"], response.json()["message"]
    except (ValueError, KeyError, TypeError):
        return f"refused: HTTP {response.status_code}"
    reason = "unreadable" if code == 28 and message != NO_FACE_MESSAGE else REASONS.get(code, "refused")
    return f"{reason}: {message}"


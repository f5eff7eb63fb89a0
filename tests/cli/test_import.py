"""`likeness import`: a few hundred LFW images through a running api server, a summary of what failed
and why, and a re-run that skips what was imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import requests

from tests.support.api_process import ApiProcess
from tests.support.database import create_services
from tests.support.paths import DATA_DIR

LIKENESS = Path(sys.executable).with_name("likeness")
IMPORTED = 300


def _folder(root: Path) -> Path:
    """``IMPORTED`` LFW images as <subject>/<image>, plus three that cannot be enrolled."""
    folder = root / "people"
    for image in sorted((DATA_DIR / "lfw-dev" / "images").glob("*/*.jpg"))[:IMPORTED]:
        (folder / image.parent.name).mkdir(parents=True, exist_ok=True)
        (folder / image.parent.name / image.name).symlink_to(image)
    (folder / "Broken").mkdir()
    (folder / "Broken" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (folder / "Coffee").mkdir()
    shutil.copy(DATA_DIR / "no-face" / "coffee.png", folder / "Coffee" / "coffee.png")
    (folder / "Crowd").mkdir()
    shutil.copy(DATA_DIR / "group-photos" / "insightface_t1.jpg", folder / "Crowd" / "crowd.jpg")
    (folder / "notes.txt").write_text("not an image, not in a subject folder")
    return folder


def _run(source: Path, api: ApiProcess, key: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LIKENESS), "import", "--key", key, "--url", api.base, "--workers", "4",
                           str(source)], capture_output=True, text=True, timeout=600)


def test_import_reports_failures_and_a_rerun_skips_what_was_imported(tmp_path, api, keys) -> None:
    folder = _folder(tmp_path)
    first = _run(folder, api, keys["recognition"])
    assert first.returncode == 2, first.stderr
    lines = first.stdout.splitlines()
    summary = lines[-1]
    imported = int(summary.split()[0])
    assert imported >= IMPORTED * 0.8, summary
    assert "Broken/broken.jpg: unreadable" in first.stdout
    assert "Coffee/coffee.png: no face" in first.stdout
    assert "Crowd/crowd.jpg: several faces" in first.stdout
    total = requests.get(api.url("/api/v1/recognition/faces"), headers={"x-api-key": keys["recognition"]},
                         timeout=10).json()["total_elements"]
    assert total >= imported

    second = _run(folder, api, keys["recognition"])
    assert f"0 imported, {imported} already imported before" in second.stdout.splitlines()[-1]
    again = requests.get(api.url("/api/v1/recognition/faces"), headers={"x-api-key": keys["recognition"]},
                         timeout=10).json()["total_elements"]
    assert again == total, "a re-run must not enrol anything twice"


def test_import_from_a_zip(tmp_path, api, keys, database_url) -> None:
    archive = tmp_path / "few.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for image in sorted((DATA_DIR / "lfw-dev" / "images" / "Jacques_Chirac").glob("*.jpg"))[:3]:
            zipped.write(image, f"Chirac/{image.name}")
    result = _run(archive, api, keys["recognition"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("3 imported, 0 already imported before, 0 failed")
    assert (tmp_path / "few.zip.likeness-import.json").exists()
    assert keys["recognition"] not in (tmp_path / "few.zip.likeness-import.json").read_text()
    other_service = create_services(database_url, "Other")["recognition"]
    into_another = _run(archive, api, other_service)
    assert into_another.stdout.splitlines()[-1].startswith("3 imported, 0 already imported before"), \
        "what was imported into one service must still be imported into another"


def test_a_missing_source_is_a_clear_error(tmp_path, api, keys) -> None:
    result = _run(tmp_path / "nowhere", api, keys["recognition"])
    assert result.returncode == 1 and "neither a folder nor a zip" in result.stderr

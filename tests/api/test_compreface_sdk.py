"""The official CompreFace Python SDK (PyPI compreface-sdk 0.6.0), unchanged, drives every
operation it has against a running Likeness. It runs in its own environment (.venv-sdk, made by
`make test`), because it pins a requests-toolbelt that needs urllib3 1.x."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.api_process import ApiProcess
from tests.support.paths import DATA_DIR, PROJECT_ROOT

SDK_PYTHON = PROJECT_ROOT / ".venv-sdk" / "bin" / "python"
LFW = DATA_DIR / "lfw-dev" / "images"


def _photo(number: int) -> str:
    return str(LFW / "Jacques_Chirac" / f"Jacques_Chirac_{number:04d}.jpg")


def test_every_sdk_operation(api: ApiProcess, keys: dict[str, str]) -> None:
    assert SDK_PYTHON.exists(), f"{SDK_PYTHON} is missing: `make sdk-venv` (part of `make test`) creates it"
    address = urlsplit(api.base)
    run = subprocess.run(
        [str(SDK_PYTHON), str(Path(__file__).with_name("sdk_session.py")), f"http://{address.hostname}",
         str(address.port), keys["recognition"], keys["detection"], keys["verification"], _photo(1), _photo(2),
         _photo(3), str(DATA_DIR / "group-photos" / "insightface_t1.jpg")],
        capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)

    assert answers["subjects.add"] == {"subject": "SDK Person"}
    assert "SDK Person" in answers["subjects.list"]["subjects"]
    assert answers["subjects.update"] == {"updated": True}
    first, second = answers["faces.add"], answers["faces.add second"]
    assert first["subject"] == "SDK Renamed" and len(first["image_id"]) == 36
    assert {face["image_id"] for face in answers["faces.list"]["faces"]} >= {first["image_id"], second["image_id"]}
    recognized = answers["recognize"]["result"][0]
    assert recognized["subjects"][0]["subject"] == "SDK Renamed" and recognized["subjects"][0]["similarity"] > 0.5
    assert "age" in recognized and "gender" in recognized
    assert answers["faces.verify"]["result"][0]["similarity"] > 0.5
    assert answers["faces.delete"] == {"image_id": second["image_id"], "subject": "SDK Renamed"}
    assert answers["faces.delete_all"] == {"deleted": 1}
    assert answers["subjects.delete"] == {"subject": "Temporary"}
    assert "deleted" in answers["subjects.delete_all"]
    assert len(answers["detect"]["result"]) == 6 and "age" in answers["detect"]["result"][0]
    assert answers["verify"]["result"][0]["face_matches"][0]["similarity"] > 0.5

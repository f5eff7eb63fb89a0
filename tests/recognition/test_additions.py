"""Likeness's additions to CompreFace's recognition, through the gateway of the whole platform:
face quality and liveness, the enrolment gate, per-service thresholds and ``auto``, verification
against a subject and against several targets, and search."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench.degrade import blur, downscale, printed_in_frame
from runner.platform import LocalPlatform
from tests.hardening.client import Api, error_of
from tests.support.database import create_services
from tests.support.paths import lfw_image

RECOGNIZE = "/api/v1/recognition/recognize"
FACES = "/api/v1/recognition/faces"
LIKENESS = Path(sys.executable).parent / "likeness"


def photo(name: str, number: int) -> bytes:
    return lfw_image(name, number).read_bytes()


def edited(name: str, number: int, edit) -> bytes:
    """The LFW photo after an edit of its RGB pixels, as JPEG quality 95."""
    pixels = np.asarray(Image.open(io.BytesIO(photo(name, number))).convert("RGB"))
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(edit(pixels)[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


class Service:
    """A fresh application with one service of each type, and the CLI to change its settings."""

    def __init__(self, platform: LocalPlatform) -> None:
        self.platform = platform
        self.application = f"Additions-{uuid.uuid4().hex[:8]}"
        self.api = Api(platform.url, create_services(platform.database_url, application=self.application))

    def settings(self, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LIKENESS), "service", "settings", "--app", self.application,
             "--name", f"{self.application}-recognition", *options],
            env={**os.environ, "DATABASE_URL": self.platform.database_url}, capture_output=True, text=True,
            timeout=60)

    def enrol(self, subject: str, image: bytes, **params: str) -> dict:
        response = self.api.call("POST", FACES, params={"subject": subject, **params},
                                 files={"file": ("face.jpg", image, "image/jpeg")})
        assert response.status_code == 201, response.text
        return response.json()

    def post(self, path: str, image: bytes, service: str = "recognition", **params: str):
        return self.api.call("POST", path, service, params=params, files={"file": ("face.jpg", image, "image/jpeg")})


@pytest.fixture
def service(platform: LocalPlatform) -> Iterator[Service]:
    yield Service(platform)


# --- quality and liveness plugins ---------------------------------------------------------------

def test_detection_reports_quality_and_liveness(service: Service) -> None:
    response = service.post("/api/v1/detection/detect", photo("Laura_Bush", 1), "detection",
                            face_plugins="quality,liveness")
    assert response.status_code == 200, response.text
    face = response.json()["result"][0]
    assert face["quality"]["acceptable"] is True and 0.5 <= face["quality"]["value"] <= 1.0
    assert face["quality"]["reasons"] == []
    assert face["liveness"]["value"] == "real" and 0.5 <= face["liveness"]["probability"] <= 1.0


def test_quality_falls_on_a_blurred_copy_and_says_why(service: Service) -> None:
    sharp = service.post("/api/v1/detection/detect", photo("Tony_Blair", 2), "detection", face_plugins="quality")
    blurred = service.post("/api/v1/detection/detect", edited("Tony_Blair", 2, lambda p: blur(p, 4.0)), "detection",
                           face_plugins="quality")
    sharp_quality, blurred_quality = (r.json()["result"][0]["quality"] for r in (sharp, blurred))
    assert blurred_quality["value"] < sharp_quality["value"] - 0.1
    assert blurred_quality["acceptable"] is False and "blur" in blurred_quality["reasons"]


# --- the enrolment gate -------------------------------------------------------------------------

def test_a_face_below_the_minimum_quality_is_refused_with_code_60(service: Service) -> None:
    tiny = edited("Jacques_Chirac", 2, lambda p: downscale(p, 8))
    response = service.post(FACES, tiny, subject="Chirac")
    status, code, message = error_of(response)
    assert (status, code) == (400, 60), response.text
    assert "below the minimum 0.50" in message and "min_quality" in message
    assert service.api.collection().faces == ()
    # The request may lower the gate for itself ...
    service.enrol("Chirac", tiny, min_quality="0")
    # ... and the service's own setting replaces the pack's level.
    assert service.settings("--min-quality", "0.9").returncode == 0
    status, code, _ = error_of(service.post(FACES, photo("Jacques_Chirac", 2), subject="Chirac"))
    assert (status, code) == (400, 60)
    assert service.settings("--min-quality", "default").returncode == 0
    service.enrol("Chirac", photo("Jacques_Chirac", 2))


@pytest.mark.parametrize("value", ["2", "-0.1", "high"])
def test_a_malformed_min_quality_is_code_26(service: Service, value: str) -> None:
    status, code, message = error_of(service.post(FACES, photo("Jacques_Chirac", 2), subject="C", min_quality=value))
    assert (status, code) == (400, 26) and "min_quality" in message


# --- thresholds ---------------------------------------------------------------------------------

PEOPLE = ("Laura_Bush", "Tony_Blair", "Donald_Rumsfeld")


def _enrol_people(service: Service) -> None:
    for name in PEOPLE:
        service.enrol(name, photo(name, 3))


def _subjects(service: Service, image: bytes, **params: str) -> list[dict]:
    response = service.post(RECOGNIZE, image, prediction_count="3", **params)
    assert response.status_code == 200, response.text
    return response.json()["result"][0]["subjects"]


def test_recognize_uses_the_service_threshold_when_the_request_gives_none(service: Service) -> None:
    _enrol_people(service)
    assert len(_subjects(service, photo("Laura_Bush", 5))) == 3  # CompreFace: every candidate
    changed = service.settings("--similarity-threshold", "0.5")
    assert changed.returncode == 0 and "similarity threshold: 0.5" in changed.stdout
    assert [s["subject"] for s in _subjects(service, photo("Laura_Bush", 5))] == ["Laura_Bush"]
    assert _subjects(service, photo("Jacques_Chirac", 2)) == []  # a stranger
    assert len(_subjects(service, photo("Laura_Bush", 5), similarity_threshold="0")) == 3  # the request wins


def test_auto_threshold_names_people_and_not_strangers(service: Service) -> None:
    _enrol_people(service)
    for name in PEOPLE:
        assert [s["subject"] for s in _subjects(service, photo(name, 5), similarity_threshold="auto")] == [name]
    for stranger in ("Jacques_Chirac", "Jennifer_Aniston", "Gerhard_Schroeder"):
        assert _subjects(service, photo(stranger, 1), similarity_threshold="auto") == []
    assert service.settings("--similarity-threshold", "auto", "--stranger-target", "0.05").returncode == 0
    assert [s["subject"] for s in _subjects(service, photo("Tony_Blair", 5))] == ["Tony_Blair"]


@pytest.mark.parametrize("value", ["1.5", "automatic", "nan"])
def test_a_malformed_similarity_threshold_is_code_26(service: Service, value: str) -> None:
    status, code, message = error_of(service.post(RECOGNIZE, photo("Laura_Bush", 5), similarity_threshold=value))
    assert (status, code) == (400, 26) and "similarity_threshold" in message


def test_the_cli_refuses_bad_settings_with_a_clear_message(service: Service) -> None:
    refused = service.settings("--stranger-target", "1")
    assert refused.returncode == 1 and "strangerTarget should be a number greater than 0 and less than 1" in refused.stderr
    shown = service.settings()
    assert shown.returncode == 0
    assert shown.stdout.splitlines() == ["similarity threshold: none", "stranger target: 0.01",
                                         "minimum quality: the pack's level"]


# --- liveness required --------------------------------------------------------------------------

def test_require_liveness_refuses_a_printed_photo_with_code_61(service: Service) -> None:
    service.enrol("Chirac", photo("Jacques_Chirac", 2))
    live = service.post(RECOGNIZE, photo("Jacques_Chirac", 3), require_liveness="true")
    assert live.status_code == 200, live.text
    assert live.json()["result"][0]["subjects"][0]["subject"] == "Chirac"
    printed = edited("Jacques_Chirac", 3, printed_in_frame)
    assert service.post(RECOGNIZE, printed).status_code == 200  # not asked: no check
    status, code, message = error_of(service.post(RECOGNIZE, printed, require_liveness="true"))
    assert (status, code) == (400, 61) and "liveness" in message
    verification = service.api.call(
        "POST", "/api/v1/verification/verify", "verification", params={"require_liveness": "true"},
        files={"source_image": ("a.jpg", photo("Jacques_Chirac", 2), "image/jpeg"),
               "target_image": ("b.jpg", printed, "image/jpeg")})
    assert error_of(verification)[:2] == (400, 61)


# --- verification against a subject, and against several targets ---------------------------------

def test_verify_against_a_subject_gives_the_best_and_every_stored_face(service: Service) -> None:
    first = service.enrol("Laura", photo("Laura_Bush", 1))["image_id"]
    second = service.enrol("Laura", photo("Laura_Bush", 3))["image_id"]
    response = service.post("/api/v1/recognition/subjects/laura/verify", photo("Laura_Bush", 5))
    assert response.status_code == 200, response.text
    (face,) = response.json()["result"]
    assert face["subject"] == "Laura" and set(face["box"]) >= {"x_min", "y_max", "probability"}
    assert [stored["image_id"] for stored in face["faces"]] == [first, second]
    assert face["similarity"] == max(stored["similarity"] for stored in face["faces"]) >= 0.5
    stranger = service.post("/api/v1/recognition/subjects/Laura/verify", photo("Tony_Blair", 2)).json()
    assert stranger["result"][0]["similarity"] < 0.5
    status, code, _ = error_of(service.post("/api/v1/recognition/subjects/Nobody/verify", photo("Tony_Blair", 1)))
    assert (status, code) == (404, 42)


def test_verification_with_several_targets_answers_each_in_order(service: Service) -> None:
    response = service.api.call(
        "POST", "/api/v1/verification/verify", "verification",
        files=[("source_image", ("s.jpg", photo("Tony_Blair", 2), "image/jpeg")),
               ("target_image", ("a.jpg", photo("Laura_Bush", 1), "image/jpeg")),
               ("target_image", ("b.jpg", photo("Tony_Blair", 3), "image/jpeg")),
               ("target_image", ("c.jpg", photo("Tony_Blair", 5), "image/jpeg"))])
    assert response.status_code == 200, response.text
    similarities = [result["face_matches"][0]["similarity"] for result in response.json()["result"]]
    assert len(similarities) == 3
    assert similarities[0] < 0.5 <= min(similarities[1:])


# --- search -------------------------------------------------------------------------------------

def test_search_finds_every_stored_face_of_the_person_best_first(service: Service) -> None:
    ids = {service.enrol("Laura", photo("Laura_Bush", number))["image_id"] for number in (1, 3, 5)}
    service.enrol("Tony", photo("Tony_Blair", 2))
    response = service.post("/api/v1/recognition/search", photo("Laura_Bush", 6))
    assert response.status_code == 200, response.text
    (face,) = response.json()["result"]
    matches = face["matches"]
    assert {match["image_id"] for match in matches} == ids
    assert {match["subject"] for match in matches} == {"Laura"}
    assert [m["similarity"] for m in matches] == sorted((m["similarity"] for m in matches), reverse=True)
    limited = service.post("/api/v1/recognition/search", photo("Laura_Bush", 6), limit="1").json()
    assert limited["result"][0]["matches"] == matches[:1]
    everyone = service.post("/api/v1/recognition/search", photo("Laura_Bush", 6), similarity_threshold="0").json()
    assert len(everyone["result"][0]["matches"]) == 4

"""The additions' api logic in one process against a fake core (tests/api_unit/fake_core.py):
search, verification against a subject, several verification targets, and clear refusals where
the core lacks the impostor tail, the liveness or the quality model. The same features run
against the real core through the gateway in tests/recognition."""

from __future__ import annotations

import io
import math

import pytest
from flask.testing import FlaskClient

from common.thresholds import ImpostorTail, auto_threshold
from core.model_pack import load_pack
from tests.api_unit.fake_core import C0, C1, FakeCoreClient
from tests.api_unit.test_services import ALICE, ALICE_AGAIN, BOB, enrol, expected_similarity, upload

ALICE_OTHER = [0.8, 0.2, 0, 0, 0, 0, 0, 0]


def post(client: FlaskClient, path: str, key: str, image: bytes, **params: str):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return client.post(f"{path}?{query}", headers={"x-api-key": key}, data=upload(image),
                       content_type="multipart/form-data")


def test_search_lists_every_stored_face_at_or_above_the_threshold(client: FlaskClient, core: FakeCoreClient,
                                                                  keys: dict[str, str]) -> None:
    key = keys["recognition"]
    first = enrol(client, key, "Alice", core.add_image(b"alice-1", ALICE))
    second = enrol(client, key, "Alice", core.add_image(b"alice-3", ALICE_OTHER))
    enrol(client, key, "Bob", core.add_image(b"bob-1", BOB))
    probe = core.add_image(b"alice-2", ALICE_AGAIN)
    matches = post(client, "/api/v1/recognition/search", key, probe).get_json()["result"][0]["matches"]
    assert matches == [
        {"image_id": first, "subject": "Alice", "similarity": expected_similarity(ALICE, ALICE_AGAIN)},
        {"image_id": second, "subject": "Alice", "similarity": expected_similarity(ALICE_OTHER, ALICE_AGAIN)},
    ]
    assert len(post(client, "/api/v1/recognition/search", key, probe, similarity_threshold="0")
               .get_json()["result"][0]["matches"]) == 3
    assert post(client, "/api/v1/recognition/search", key, probe, limit="1").get_json()["result"][0]["matches"] == \
        matches[:1]


def test_verify_against_a_subject(client: FlaskClient, core: FakeCoreClient, keys: dict[str, str]) -> None:
    key = keys["recognition"]
    first = enrol(client, key, "Alice", core.add_image(b"alice-1", ALICE))
    second = enrol(client, key, "Alice", core.add_image(b"alice-3", ALICE_OTHER))
    answer = post(client, "/api/v1/recognition/subjects/ALICE/verify", key, core.add_image(b"alice-2", ALICE_AGAIN))
    (face,) = answer.get_json()["result"]
    assert face["subject"] == "Alice"
    assert face["faces"] == [{"image_id": first, "similarity": expected_similarity(ALICE, ALICE_AGAIN)},
                             {"image_id": second, "similarity": expected_similarity(ALICE_OTHER, ALICE_AGAIN)}]
    assert face["similarity"] == expected_similarity(ALICE, ALICE_AGAIN)
    unknown = post(client, "/api/v1/recognition/subjects/Nobody/verify", key, b"alice-2")
    assert (unknown.status_code, unknown.get_json()["code"]) == (404, 42)


def test_several_verification_targets_are_answered_in_order(client: FlaskClient, core: FakeCoreClient,
                                                            keys: dict[str, str]) -> None:
    data = {"source_image": (io.BytesIO(core.add_image(b"alice-1", ALICE)), "s.jpg"),
            "target_image": [(io.BytesIO(core.add_image(b"bob-1", BOB)), "a.jpg"),
                             (io.BytesIO(core.add_image(b"alice-2", ALICE_AGAIN)), "b.jpg")]}
    answer = client.post("/api/v1/verification/verify", headers={"x-api-key": keys["verification"]}, data=data,
                         content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    assert [result["face_matches"][0]["similarity"] for result in answer.get_json()["result"]] == [
        expected_similarity(ALICE, BOB), expected_similarity(ALICE, ALICE_AGAIN)]


def test_what_the_core_cannot_do_is_refused_with_a_reason(client: FlaskClient, core: FakeCoreClient,
                                                           keys: dict[str, str]) -> None:
    key = keys["recognition"]
    probe = core.add_image(b"alice-2", ALICE_AGAIN)
    auto = post(client, "/api/v1/recognition/recognize", key, probe, similarity_threshold="auto")
    assert auto.status_code == 400 and "impostor tail" in auto.get_json()["message"]
    live = post(client, "/api/v1/recognition/recognize", key, probe, require_liveness="true")
    assert live.status_code == 400 and "liveness check" in live.get_json()["message"]
    gated = post(client, "/api/v1/recognition/faces", key, probe, subject="Alice", min_quality="0.5")
    assert gated.status_code == 400 and "quality check" in gated.get_json()["message"]
    # The fake core has no quality model, so no gate is asked for by default.
    assert post(client, "/api/v1/recognition/faces", key, probe, subject="Alice").status_code == 201


def _probe_at(similarity: float) -> list[float]:
    """A probe whose similarity to ALICE is ``similarity`` (and about 0.02 to BOB and CAROL)."""
    distance = C0 - math.atanh(2 * similarity - 1) / C1
    cosine = 1 - distance * distance / 2
    return [cosine, 0, math.sqrt(1 - cosine * cosine), 0, 0, 0, 0, 0]


def test_auto_is_the_benchs_threshold_for_the_services_number_of_faces(
        client: FlaskClient, core: FakeCoreClient, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/open_set.py computes its figures in process with common.thresholds.auto_threshold and
    the default pack's impostor tail; the api must name exactly the probes that threshold names."""
    tail = load_pack("default").recognizer.impostor_tail
    monkeypatch.setattr(core, "impostor_tail", tail)
    key = keys["recognition"]
    for name, vector in (("Alice", ALICE), ("Bob", BOB), ("Carol", [0, 0, 0, 1, 0, 0, 0, 0])):
        enrol(client, key, name, core.add_image(f"{name}-auto".encode(), vector))
    threshold = auto_threshold(ImpostorTail.from_points(tail), 3)
    assert 0 < threshold < 1
    outcomes = set()
    for offset in (0.00002, 0.00001, 0.0, -0.00001, -0.00002):
        probe = _probe_at(threshold + offset)
        named = ["Alice"] if expected_similarity(ALICE, probe) >= threshold else []
        outcomes.add(bool(named))
        answer = post(client, "/api/v1/recognition/recognize", key,
                      core.add_image(f"probe-{offset}".encode(), probe), similarity_threshold="auto")
        assert [s["subject"] for s in answer.get_json()["result"][0]["subjects"]] == named, (offset, answer.get_json())
    assert outcomes == {True, False}  # probes on both sides of the threshold

"""api logic in one process against a fake core: the collection service keeps this server's index
current on every write, similarity follows CompreFace's formula, counted endpoints count once."""

from __future__ import annotations

import io
import math

from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.state import ApiState
from db.models import RequestCount, ServiceType
from tests.api_unit.fake_core import C0, C1, FakeCoreClient

ALICE = [1, 0, 0, 0, 0, 0, 0, 0]
ALICE_AGAIN = [0.9, 0.1, 0, 0, 0, 0, 0, 0]
BOB = [0, 1, 0, 0, 0, 0, 0, 0]


def upload(image: bytes, field: str = "file") -> dict[str, tuple[io.BytesIO, str]]:
    return {field: (io.BytesIO(image), f"{field}.jpg")}


def expected_similarity(a: list[float], b: list[float]) -> float:
    cosine = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    distance = math.sqrt(max(0.0, 2 - 2 * cosine))
    return math.floor((math.tanh((C0 - distance) * C1) + 1) / 2 * 100000 + 0.5) / 100000


def enrol(client: FlaskClient, key: str, subject: str, image: bytes) -> str:
    answer = client.post(f"/api/v1/recognition/faces?subject={subject}", headers={"x-api-key": key},
                         data=upload(image), content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["image_id"]


def recognize(client: FlaskClient, key: str, image: bytes) -> list[dict]:
    answer = client.post("/api/v1/recognition/recognize?prediction_count=-1", headers={"x-api-key": key},
                         data=upload(image), content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["result"]


def test_a_face_added_is_recognised_at_once_with_compreface_similarity(client: FlaskClient, core: FakeCoreClient,
                                                                       keys: dict[str, str]) -> None:
    key = keys["recognition"]
    enrol(client, key, "Alice", core.add_image(b"alice-1", ALICE))
    enrol(client, key, "Bob", core.add_image(b"bob-1", BOB))
    # No wait for the NOTIFY: the write updated this server's index itself.
    result = recognize(client, key, core.add_image(b"alice-2", ALICE_AGAIN))
    assert [candidate["subject"] for candidate in result[0]["subjects"]] == ["Alice", "Bob"]
    assert result[0]["subjects"][0]["similarity"] == expected_similarity(ALICE, ALICE_AGAIN)
    assert result[0]["subjects"][1]["similarity"] == expected_similarity(BOB, ALICE_AGAIN)


def test_deleting_and_renaming_change_the_answers_at_once(client: FlaskClient, core: FakeCoreClient,
                                                          keys: dict[str, str]) -> None:
    key = keys["recognition"]
    face_id = enrol(client, key, "Alice", core.add_image(b"alice-1", ALICE))
    probe = core.add_image(b"alice-2", ALICE_AGAIN)
    renamed = client.put("/api/v1/recognition/subjects/Alice", headers={"x-api-key": key}, json={"subject": "Ada"})
    assert renamed.get_json() == {"updated": True}
    assert [found["subject"] for found in recognize(client, key, probe)[0]["subjects"]] == ["Ada"]
    deleted = client.delete(f"/api/v1/recognition/faces/{face_id}", headers={"x-api-key": key})
    assert deleted.get_json() == {"image_id": face_id, "subject": "Ada"}
    assert recognize(client, key, probe)[0]["subjects"] == []


def test_verification_compares_the_source_face_with_every_target_face(client: FlaskClient, core: FakeCoreClient,
                                                                      keys: dict[str, str]) -> None:
    source = core.add_image(b"alice-1", ALICE)
    target = core.add_image(b"alice-and-bob", ALICE_AGAIN, BOB)
    answer = client.post("/api/v1/verification/verify", headers={"x-api-key": keys["verification"]},
                         data={**upload(source, "source_image"), **upload(target, "target_image")},
                         content_type="multipart/form-data")
    matches = answer.get_json()["result"][0]["face_matches"]
    assert [match["similarity"] for match in matches] == [expected_similarity(ALICE, ALICE_AGAIN),
                                                          expected_similarity(ALICE, BOB)]


def test_a_source_image_with_two_faces_is_code_31(client: FlaskClient, core: FakeCoreClient,
                                                  keys: dict[str, str]) -> None:
    group = core.add_image(b"bob-and-alice", BOB, ALICE)
    answer = client.post("/api/v1/verification/verify", headers={"x-api-key": keys["verification"]},
                         data={**upload(group, "source_image"), **upload(group, "target_image")},
                         content_type="multipart/form-data")
    assert (answer.status_code, answer.get_json()["code"]) == (400, 31)


def test_an_image_without_a_face_is_code_28(client: FlaskClient, keys: dict[str, str]) -> None:
    answer = client.post("/api/v1/detection/detect", headers={"x-api-key": keys["detection"]},
                         data=upload(b"no face here"), content_type="multipart/form-data")
    assert (answer.status_code, answer.get_json()) == (400, {"message": "No face is found in the given image",
                                                             "code": 28})


def test_embeddings_of_another_size_than_the_model_s_are_refused(client: FlaskClient, keys: dict[str, str]) -> None:
    answer = client.post("/api/v1/recognition/embeddings/recognize", headers={"x-api-key": keys["recognition"]},
                         json={"embeddings": [[0.1, 0.2, 0.3]]})
    assert (answer.status_code, answer.get_json()["code"]) == (400, 26)
    assert "should have 8 values" in answer.get_json()["message"]


def test_counted_endpoints_count_each_request_once(client: FlaskClient, core: FakeCoreClient, state: ApiState,
                                                   keys: dict[str, str]) -> None:
    face = core.add_image(b"alice-1", ALICE)
    for _ in range(3):
        client.post("/api/v1/detection/detect", headers={"x-api-key": keys["detection"]},
                    data=upload(face), content_type="multipart/form-data")
    client.get("/api/v1/recognition/subjects", headers={"x-api-key": keys["recognition"]})  # not counted
    state.counter.flush()
    with state.sessions() as session:
        counted = dict(session.execute(select(RequestCount.service_id, func.sum(RequestCount.count))
                                       .group_by(RequestCount.service_id)).all())
    detection_id = state.keys.by_key(keys["detection"], ServiceType.DETECTION).id
    recognition_id = state.keys.by_key(keys["recognition"], ServiceType.RECOGNITION).id
    assert counted.get(detection_id) == 3
    assert recognition_id not in counted


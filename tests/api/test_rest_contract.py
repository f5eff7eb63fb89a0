"""CompreFace's /api/v1 contract against a real api server, core server and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.support.api_process import ApiProcess
from tests.support.paths import DATA_DIR

LFW = DATA_DIR / "lfw-dev" / "images"
GROUP = DATA_DIR / "group-photos" / "insightface_t1.jpg"
NO_FACE = DATA_DIR / "no-face" / "coffee.png"


def _person(name: str, number: int = 1) -> bytes:
    return (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()


def _call(api: ApiProcess, method: str, path: str, key: str | None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if key is not None:
        headers["x-api-key"] = key
    return requests.request(method, api.url(path), headers=headers, timeout=60, **kwargs)


def _error(response: requests.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["message", "code"] and body["code"] == code, body
    return body["message"]


def _add(api: ApiProcess, key: str, subject: str, image: bytes, filename: str = "face.jpg") -> requests.Response:
    return _call(api, "POST", "/api/v1/recognition/faces", key, params={"subject": subject},
                 files={"file": (filename, image)})


# Keys


def test_missing_key(api, keys) -> None:
    assert _error(_call(api, "GET", "/api/v1/recognition/subjects", None), 400, 20) == "Missing header: x-api-key"


def test_malformed_key(api, keys) -> None:
    _error(_call(api, "GET", "/api/v1/recognition/subjects", "not-a-uuid"), 400, 26)


def test_unknown_key(api, keys) -> None:
    key = "00000000-0000-0000-0000-000000000000"
    message = _error(_call(api, "GET", "/api/v1/recognition/subjects", key), 404, 10)
    assert message == f"Recognition service with API Key {key} not found"


def test_key_of_another_type_gets_code_10(api, keys) -> None:
    _error(_call(api, "POST", "/api/v1/detection/detect", keys["recognition"], files={"file": ("a.jpg", b"x")}),
           404, 10)
    _error(_call(api, "GET", "/api/v1/recognition/subjects", keys["detection"]), 404, 10)


# Subjects


def test_subjects_lifecycle_with_case_insensitive_names_and_merge(api, keys) -> None:
    key = keys["recognition"]
    assert _call(api, "POST", "/api/v1/recognition/subjects", key, json={"subject": "Alice"}).status_code == 201
    _error(_call(api, "POST", "/api/v1/recognition/subjects", key, json={"subject": "alice"}), 400, 43)
    _error(_call(api, "POST", "/api/v1/recognition/subjects", key, json={"subject": "a/b"}), 400, 36)
    _error(_call(api, "POST", "/api/v1/recognition/subjects", key, json={"subject": "x" * 51}), 400, 26)
    _error(_call(api, "POST", "/api/v1/recognition/subjects", key, json={}), 400, 26)
    assert "Alice" in _call(api, "GET", "/api/v1/recognition/subjects/", key).json()["subjects"]

    bob = _add(api, key, "Bob", _person("Jacques_Chirac")).json()
    renamed = _call(api, "PUT", "/api/v1/recognition/subjects/bob", key, json={"subject": "ALICE"})
    assert renamed.json() == {"updated": True}
    subjects = _call(api, "GET", "/api/v1/recognition/subjects", key).json()["subjects"]
    assert "Alice" in subjects and "Bob" not in subjects
    faces = _call(api, "GET", "/api/v1/recognition/faces", key, params={"subject": "Alice"}).json()["faces"]
    # CompreFace's fields; "box" is Likeness's addition.
    assert {"image_id": bob["image_id"], "subject": "Alice"} in [{"image_id": face["image_id"], "subject": face["subject"]}
                                                                 for face in faces]
    assert _call(api, "PUT", "/api/v1/recognition/subjects/Alice", key, json={"subject": "Alice"}).json() == \
        {"updated": False}
    _error(_call(api, "PUT", "/api/v1/recognition/subjects/Nobody", key, json={"subject": "X"}), 404, 42)
    assert _call(api, "DELETE", "/api/v1/recognition/subjects/alice", key).json() == {"subject": "Alice"}
    _error(_call(api, "DELETE", "/api/v1/recognition/subjects/alice", key), 404, 42)


# Faces


def test_add_list_download_and_delete_faces(api, keys) -> None:
    key = keys["recognition"]
    first = _add(api, key, "Paging", _person("Jacques_Chirac", 1))
    assert first.status_code == 201 and first.json()["subject"] == "Paging"
    encoded = base64.b64encode(_person("Jacques_Chirac", 2)).decode()
    second = _call(api, "POST", "/api/v1/recognition/faces", key, params={"subject": "Paging"},
                   json={"file": encoded})
    assert second.status_code == 201, second.text
    page = _call(api, "GET", "/api/v1/recognition/faces", key, params={"subject": "Paging", "size": 1}).json()
    assert page["page_size"] == 1 and page["total_elements"] == 2 and page["total_pages"] == 2
    assert len(page["faces"]) == 1

    image_id = first.json()["image_id"]
    downloaded = _call(api, "GET", f"/api/v1/recognition/faces/{image_id}/img", key)
    assert downloaded.content == _person("Jacques_Chirac", 1)
    static = requests.get(api.url(f"/api/v1/static/{key}/images/{image_id}"), timeout=10)
    assert static.content == downloaded.content and "max-age" in static.headers["Cache-Control"]

    assert _call(api, "DELETE", f"/api/v1/recognition/faces/{image_id}", key).json() == \
        {"image_id": image_id, "subject": "Paging"}
    _error(_call(api, "DELETE", f"/api/v1/recognition/faces/{image_id}", key), 404, 44)
    assert _call(api, "GET", f"/api/v1/recognition/faces/{image_id}/img", key).content == b""
    bulk = _call(api, "POST", "/api/v1/recognition/faces/delete", key,
                 json=[second.json()["image_id"], "00000000-0000-0000-0000-000000000000", "junk"])
    assert bulk.json() == [{"image_id": second.json()["image_id"], "subject": "Paging"}]


def test_add_face_errors(api, keys) -> None:
    key = keys["recognition"]
    _error(_add(api, key, "Nobody", NO_FACE.read_bytes(), "coffee.png"), 400, 28)
    _error(_add(api, key, "Crowd", GROUP.read_bytes()), 400, 31)
    _error(_add(api, key, "Text", b"hello", "notes.txt"), 400, 21)
    _error(_call(api, "POST", "/api/v1/recognition/faces", key, params={"subject": "X"},
                 files={"photo": ("a.jpg", b"x")}), 400, 34)
    _error(_call(api, "POST", "/api/v1/recognition/faces", key, params={"subject": "X"},
                 json={"file": "data:image/jpeg;base64,AAAA"}), 400, 21)
    _error(_add(api, key, "Broken", b"\xff\xd8\xff garbage"), 400, 28)
    subjects = _call(api, "GET", "/api/v1/recognition/subjects", key).json()["subjects"]
    assert not {"Nobody", "Crowd", "Text", "Broken"} & set(subjects), "a refused face must leave nothing behind"


def test_delete_faces_by_subject(api, keys) -> None:
    key = keys["recognition"]
    _add(api, key, "Gone", _person("Jacques_Chirac", 3))
    _add(api, key, "Gone", _person("Jacques_Chirac", 4))
    assert _call(api, "DELETE", "/api/v1/recognition/faces", key, params={"subject": "gone"}).json() == {"deleted": 2}
    assert "Gone" not in _call(api, "GET", "/api/v1/recognition/subjects", key).json()["subjects"]
    assert _call(api, "DELETE", "/api/v1/recognition/faces", key, params={"subject": "gone"}).json() == {"deleted": 0}


# Recognition, detection, verification


def test_recognize_names_the_enrolled_person_and_not_a_stranger(api, keys) -> None:
    key = keys["recognition"]
    _add(api, key, "Jacques Chirac", _person("Jacques_Chirac", 5))
    _add(api, key, "Gerhard Schroeder", _person("Gerhard_Schroeder", 1))
    response = _call(api, "POST", "/api/v1/recognition/recognize", key,
                     params={"face_plugins": "age,gender", "status": "true", "prediction_count": 2},
                     files={"file": ("probe.jpg", _person("Jacques_Chirac", 6))})
    assert response.status_code == 200, response.text
    result = response.json()["result"][0]
    assert result["subjects"][0]["subject"] == "Jacques Chirac" and result["subjects"][0]["similarity"] > 0.5
    assert len(result["subjects"]) == 2 and result["subjects"][1]["similarity"] < 0.5
    assert {"age", "gender", "box", "execution_time"} <= set(result) and "embedding" not in result
    assert "plugins_versions" in response.json() and "timings" in response.json()
    stranger = _call(api, "POST", "/api/v1/recognition/recognize", key, params={"similarity_threshold": 0.5},
                     files={"file": ("probe.jpg", _person("Donald_Rumsfeld", 1))}).json()["result"][0]
    assert stranger["subjects"] == []


def test_recognize_with_every_candidate_and_limit(api, keys) -> None:
    key = keys["recognition"]
    response = _call(api, "POST", "/api/v1/recognition/recognize", key,
                     params={"prediction_count": -1, "limit": 1, "face_plugins": "calculator,landmarks"},
                     files={"file": ("group.jpg", GROUP.read_bytes())}).json()
    assert len(response["result"]) == 1
    face = response["result"][0]
    assert len(face["embedding"]) == 512 and len(face["landmarks"]) == 5
    assert len(face["subjects"]) >= 2
    _error(_call(api, "POST", "/api/v1/recognition/recognize", key, params={"prediction_count": 0},
                 files={"file": ("g.jpg", GROUP.read_bytes())}), 400, 26)
    _error(_call(api, "POST", "/api/v1/recognition/recognize", key, params={"limit": -1},
                 files={"file": ("g.jpg", GROUP.read_bytes())}), 400, 26)
    _error(_call(api, "POST", "/api/v1/recognition/recognize", key,
                 files={"file": ("c.png", NO_FACE.read_bytes())}), 400, 28)


def test_verify_against_a_stored_face(api, keys) -> None:
    key = keys["recognition"]
    image_id = _add(api, key, "Verify Me", _person("Jacques_Chirac", 1)).json()["image_id"]
    response = _call(api, "POST", f"/api/v1/recognition/faces/{image_id}/verify", key,
                     files={"file": ("p.jpg", _person("Jacques_Chirac", 2))}).json()
    assert response["result"][0]["subject"] == "Verify Me" and response["result"][0]["similarity"] > 0.5
    _error(_call(api, "POST", "/api/v1/recognition/faces/00000000-0000-0000-0000-000000000000/verify", key,
                 files={"file": ("p.jpg", _person("Jacques_Chirac", 2))}), 404, 44)


def test_detection_returns_every_face_with_plugins(api, keys) -> None:
    response = _call(api, "POST", "/api/v1/detection/detect", keys["detection"],
                     params={"face_plugins": ["landmarks2d106", "pose"]},
                     files={"file": ("group.jpg", GROUP.read_bytes())})
    faces = response.json()["result"]
    assert len(faces) == 6 and all(len(face["landmarks"]) == 106 and "pose" in face for face in faces)
    assert "subjects" not in faces[0]


def test_verification_of_two_images(api, keys) -> None:
    key = keys["verification"]
    same = _call(api, "POST", "/api/v1/verification/verify", key,
                 files={"source_image": ("a.jpg", _person("Jacques_Chirac", 1)),
                        "target_image": ("b.jpg", _person("Jacques_Chirac", 2))}).json()["result"][0]
    assert same["face_matches"][0]["similarity"] > 0.5 and "box" in same["source_image_face"]
    encoded = {name: base64.b64encode(data).decode() for name, data in
               {"source_image": _person("Jacques_Chirac", 1), "target_image": GROUP.read_bytes()}.items()}
    crowd = _call(api, "POST", "/api/v1/verification/verify", key, json=encoded).json()["result"][0]
    assert len(crowd["face_matches"]) == 6 and all(m["similarity"] < 0.5 for m in crowd["face_matches"])
    _error(_call(api, "POST", "/api/v1/verification/verify", key,
                 files={"source_image": ("g.jpg", GROUP.read_bytes()),
                        "target_image": ("b.jpg", _person("Jacques_Chirac", 2))}), 400, 31)
    _error(_call(api, "POST", "/api/v1/verification/verify", key,
                 files={"source_image": ("a.jpg", _person("Jacques_Chirac", 1))}), 400, 34)


# Embeddings


def test_embedding_endpoints(api, keys) -> None:
    key = keys["recognition"]
    detected = _call(api, "POST", "/api/v1/detection/detect", keys["detection"], params={"face_plugins": "calculator"},
                     files={"file": ("p.jpg", _person("Gerhard_Schroeder", 2))}).json()["result"][0]["embedding"]
    found = _call(api, "POST", "/api/v1/recognition/embeddings/recognize", key, json={"embeddings": [detected]})
    assert found.json()["result"][0]["similarities"][0]["subject"] == "Gerhard Schroeder"
    _error(_call(api, "POST", "/api/v1/recognition/embeddings/recognize", key, json={"embeddings": []}), 400, 5)
    verified = _call(api, "POST", "/api/v1/verification/embeddings/verify", keys["verification"],
                     json={"source": detected, "targets": [detected, [-value for value in detected]]}).json()
    assert verified["result"][0]["similarity"] > 0.99 and verified["result"][1]["similarity"] < 0.01


# Service endpoints


def test_config_health_and_ready(api) -> None:
    assert requests.get(api.url("/api/v1/config"), timeout=5).json() == \
        {"clientMaxFileSize": 5 * 1024 * 1024, "clientMaxBodySize": 10 * 1024 * 1024, "detProbThreshold": 0.5}
    assert requests.get(api.url("/health"), timeout=5).json() == {"status": "OK"}
    assert requests.get(api.url("/ready"), timeout=5).json()["ready"] is True


def test_too_large_request_gets_a_json_error(api, keys) -> None:
    response = _call(api, "POST", "/api/v1/recognition/recognize", keys["recognition"],
                     files={"file": ("big.jpg", b"\0" * (11 * 1024 * 1024))})
    assert response.status_code == 413 and response.json()["code"] == 26


@pytest.mark.parametrize("path", ["/api/v1/recognition/subjects", "/api/v1/recognition/faces"])
def test_unknown_methods_and_paths_answer_json(api, keys, path) -> None:
    response = _call(api, "PATCH", path, keys["recognition"])
    assert response.status_code == 405 and response.json()["code"] == 0
    assert _call(api, "GET", "/api/v1/nowhere", keys["recognition"]).status_code == 404


def test_status_reports_faces_in_memory_and_bytes_per_face(api, keys) -> None:
    _add(api, keys["recognition"], "Memory", _person("Jacques_Chirac", 6))
    index = requests.get(api.url("/status"), timeout=5).json()["index"]
    assert index["faces"] >= 1 and 512 * 4 <= index["bytes_per_face"] < 20_000


def test_image_urls_to_private_addresses_are_refused(api, keys) -> None:
    response = _call(api, "POST", "/api/v1/detection/detect", keys["detection"],
                     json={"file_url": f"{api.base}/api/v1/config"})
    assert "ALLOW_PRIVATE_IMAGE_URLS" in _error(response, 400, 21)

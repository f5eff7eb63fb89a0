"""Additions for the web UI's people view: the faces listing tells where each face is in its image,
and a face moves to another subject (which recognition then reports)."""

from __future__ import annotations

import requests

from tests.support.api_process import ApiProcess
from tests.support.paths import DATA_DIR

LFW = DATA_DIR / "lfw-dev" / "images"


def _call(api: ApiProcess, method: str, path: str, key: str, **kwargs) -> requests.Response:
    return requests.request(method, api.url(path), headers={"x-api-key": key}, timeout=60, **kwargs)


def _add(api: ApiProcess, key: str, subject: str, name: str, number: int) -> str:
    image = (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()
    answer = _call(api, "POST", "/api/v1/recognition/faces", key, params={"subject": subject},
                   files={"file": ("face.jpg", image)})
    assert answer.status_code == 201, answer.text
    return answer.json()["image_id"]


def test_the_listing_gives_each_face_its_box(api, keys) -> None:
    key = keys["recognition"]
    image_id = _add(api, key, "Boxed", "Bill_Gates", 1)
    faces = _call(api, "GET", "/api/v1/recognition/faces", key, params={"subject": "Boxed"}).json()["faces"]
    assert [face["image_id"] for face in faces] == [image_id]
    box = faces[0]["box"]
    assert set(box) == {"x_min", "y_min", "x_max", "y_max"}
    # LFW images are 250x250 with the face in the middle.
    assert 40 < box["x_min"] < 125 < box["x_max"] < 210 and 30 < box["y_min"] < 125 < box["y_max"] < 220, box


def test_a_face_moves_to_another_subject_and_is_recognised_as_it(api, keys) -> None:
    key = keys["recognition"]
    moving = _add(api, key, "Wrong_Person", "Amelia_Vega", 1)
    _add(api, key, "Wrong_Person", "Bill_Simon", 1)
    answer = _call(api, "PUT", f"/api/v1/recognition/faces/{moving}", key, json={"subject": "Amelia"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"image_id": moving, "subject": "Amelia"}
    listed = _call(api, "GET", "/api/v1/recognition/faces", key, params={"subject": "Amelia"}).json()["faces"]
    assert [face["image_id"] for face in listed] == [moving]
    probe = (LFW / "Amelia_Vega" / "Amelia_Vega_0002.jpg").read_bytes()
    found = _call(api, "POST", "/api/v1/recognition/recognize", key, files={"file": ("probe.jpg", probe)}).json()
    assert found["result"][0]["subjects"][0]["subject"] == "Amelia"

    unknown = _call(api, "PUT", "/api/v1/recognition/faces/00000000-0000-0000-0000-000000000000", key,
                    json={"subject": "Amelia"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, 44)
    bad = _call(api, "PUT", f"/api/v1/recognition/faces/{moving}", key, json={"subject": ""})
    assert (bad.status_code, bad.json()["code"]) == (400, 26)
    bad = _call(api, "PUT", f"/api/v1/recognition/faces/{moving}", key, json={"subject": "a/b"})
    assert (bad.status_code, bad.json()["code"]) == (400, 36)

"""The admin against running api servers and a core: new keys, deletions and clones take effect on
the api at once, statistics count the api's requests, and the status reports every part."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from admin.app import create_app
from tests.admin.client import FlaskClient, HttpClient
from tests.admin.conftest import admin_settings
from tests.support.admin_process import AdminProcess
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

LFW = DATA_DIR / "lfw-dev" / "images"
# The api server writes its request counts every minute, and (with this gunicorn hook) when it stops.


def _person(name: str, number: int) -> bytes:
    return (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, database_url: str, core: CoreProcess) -> Iterator[ApiProcess]:
    server = ApiProcess(tmp_path_factory.mktemp("api") / "api.log", database_url, core.address).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory, database_url: str, api: ApiProcess,
          core: CoreProcess) -> Iterator[AdminProcess]:
    server = AdminProcess(tmp_path_factory.mktemp("admin") / "admin.log", database_url, api_urls=api.base,
                          python_url=core.address).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def owner(admin: AdminProcess) -> HttpClient:
    browser = HttpClient(admin.base)
    browser.sign_up("owner@example.org")
    browser.sign_in("owner@example.org")
    return browser


@pytest.fixture(scope="module")
def app_id(owner: HttpClient) -> str:
    return owner.post("/apps", {"name": "Shop"}).ok(201)["id"]


def _service(owner: HttpClient, app_id: str, name: str) -> tuple[str, str]:
    """A new recognition service: its path under /apps and its API key."""
    service = owner.post(f"/apps/{app_id}/services", {"name": name, "type": "RECOGNITION"}).ok(201)
    return f"/apps/{app_id}/services/{service['id']}", service["apiKey"]


def _api(api: ApiProcess, method: str, path: str, key: str, **kwargs) -> requests.Response:
    return requests.request(method, api.url(path), headers={"x-api-key": key}, timeout=60, **kwargs)


def _unknown_key(response: requests.Response) -> None:
    assert response.status_code == 404 and response.json()["code"] == 10, response.text


def test_a_regenerated_key_stops_working_at_once(api: ApiProcess, owner: HttpClient, app_id: str) -> None:
    path, old_key = _service(owner, app_id, "regenerated")
    assert _api(api, "POST", "/api/v1/recognition/subjects", old_key, json={"subject": "Ann"}).status_code == 201
    new_key = owner.post(f"{path}/key").ok()["apiKey"]
    _unknown_key(_api(api, "GET", "/api/v1/recognition/subjects", old_key))
    answer = _api(api, "GET", "/api/v1/recognition/subjects", new_key)
    assert answer.status_code == 200 and answer.json() == {"subjects": ["Ann"]}


def test_a_deleted_service_stops_working_at_once(api: ApiProcess, owner: HttpClient, app_id: str) -> None:
    path, key = _service(owner, app_id, "deleted")
    assert _api(api, "GET", "/api/v1/recognition/subjects", key).status_code == 200
    assert owner.delete(path).status == 204
    _unknown_key(_api(api, "GET", "/api/v1/recognition/subjects", key))


def _recognised(api: ApiProcess, key: str, image: bytes) -> str | None:
    answer = _api(api, "POST", "/api/v1/recognition/recognize", key, files={"file": ("probe.jpg", image)})
    assert answer.status_code == 200, answer.text
    subjects = answer.json()["result"][0]["subjects"]
    return subjects[0]["subject"] if subjects else None


def test_a_clone_has_the_whole_collection_and_recognises(api: ApiProcess, owner: HttpClient, app_id: str) -> None:
    path, key = _service(owner, app_id, "original")
    for name, number in (("Jacques_Chirac", 1), ("Jacques_Chirac", 5), ("Gerhard_Schroeder", 1)):
        added = _api(api, "POST", "/api/v1/recognition/faces", key, params={"subject": name},
                     files={"file": ("face.jpg", _person(name, number))})
        assert added.status_code == 201, added.text
    clone = owner.post(f"{path}/clone", {"name": "copy"}).ok(201)
    clone_path = f"/apps/{app_id}/services/{clone['id']}"
    detail = owner.get(clone_path).ok()
    assert (detail["subjectCount"], detail["faceCount"], detail["imageCount"]) == (2, 3, 3)

    deadline = time.monotonic() + 10  # the api servers load the clone when its "reload" arrives
    while _recognised(api, clone["apiKey"], _person("Jacques_Chirac", 6)) != "Jacques_Chirac":
        assert time.monotonic() < deadline, "the clone's key does not recognise its collection"
        time.sleep(0.2)
    assert _recognised(api, clone["apiKey"], _person("Gerhard_Schroeder", 2)) == "Gerhard_Schroeder"
    faces = _api(api, "GET", "/api/v1/recognition/faces", clone["apiKey"]).json()["faces"]
    originals = _api(api, "GET", "/api/v1/recognition/faces", key).json()["faces"]
    assert sorted(face["subject"] for face in faces) == sorted(face["subject"] for face in originals)
    assert not {face["image_id"] for face in faces} & {face["image_id"] for face in originals}
    image = _api(api, "GET", f"/api/v1/recognition/faces/{faces[0]['image_id']}/img", clone["apiKey"])
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # the stored JPEG came along
    # The original is untouched.
    assert _recognised(api, key, _person("Jacques_Chirac", 6)) == "Jacques_Chirac"


def test_statistics_count_the_requests_an_api_server_served(tmp_path: Path, database_url: str, core: CoreProcess,
                                                            owner: HttpClient, app_id: str) -> None:
    path, key = _service(owner, app_id, "counted")
    counting_api = ApiProcess(tmp_path / "api.log", database_url, core.address).wait_ready()
    try:
        for number in (1, 2, 3):
            _recognised(counting_api, key, _person("Jacques_Chirac", number))
        _api(counting_api, "GET", "/api/v1/recognition/subjects", key)  # not a counted request
    finally:
        counting_api.stop()
    stats = owner.get(f"{path}/stats").ok()
    assert stats["requests"] == [{"createdDate": datetime.now(timezone.utc).date().isoformat(), "requestCount": 3}]


def test_status_reports_every_part(admin: AdminProcess, api: ApiProcess, core: CoreProcess, owner: HttpClient,
                                   database_url: str) -> None:
    assert owner.get("/status").ok() == {"status": "OK", "admin": "OK", "database": "OK",
                                         "api": [{"url": api.base, "status": "OK"}], "core": "OK"}
    down = "http://127.0.0.1:9"
    app = create_app(admin_settings(database_url, api_urls=f"{api.base},{down}", python_url="127.0.0.1:9",
                                    status_timeout_s=1))
    browser = FlaskClient(app)
    browser.sign_in("owner@example.org")
    assert browser.get("/status").ok() == {"status": "NOT_READY", "admin": "OK", "database": "OK",
                                           "api": [{"url": api.base, "status": "OK"}, {"url": down, "status": "DOWN"}],
                                           "core": "DOWN"}

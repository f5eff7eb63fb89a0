"""Logs: the request id from the gateway through api to core, JSON lines, and no secrets."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import requests

from tests.admin.client import HttpClient
from tests.ops.observe import json_records
from tests.support.admin_process import AdminProcess
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.paths import DATA_DIR

ONE_FACE = (DATA_DIR / "compreface-samples" / "001_A.jpg").read_bytes()


def test_the_request_id_follows_a_request_through_api_and_core(api: ApiProcess, core: CoreProcess,
                                                                keys: dict[str, str]) -> None:
    request_id = f"ops-{uuid.uuid4().hex}"  # as the gateway sends it
    answer = requests.post(api.url("/api/v1/detection/detect"), files={"file": ("a.jpg", ONE_FACE)},
                           headers={"x-api-key": keys["detection"], "X-Request-Id": request_id}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Request-Id"] == request_id

    records = [record for record in json_records(api.log_path) if record.get("request_id") == request_id]
    assert [(record["logger"], record["method"], record["endpoint"], record["status"]) for record in records] == [
        ("api.access", "POST", "/api/v1/detection/detect", 200)]
    assert records[0]["message"].startswith("POST /api/v1/detection/detect 200 ") and records[0]["duration_ms"] > 0

    core_lines = [line for line in core.log_path.read_text().splitlines() if line.endswith(f"request_id={request_id}")]
    assert any("FaceService/ProcessImage OK" in line and "1 faces" in line for line in core_lines), core_lines


def test_requests_without_a_usable_id_are_given_a_new_one(api: ApiProcess, admin: AdminProcess) -> None:
    for url in (api.url("/api/v1/config"), admin.url("/health")):
        given = set()
        for headers in ({}, {"X-Request-Id": "x" * 65}, {"X-Request-Id": "two words"}):
            request_id = requests.get(url, headers=headers, timeout=10).headers["X-Request-Id"]
            assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
            given.add(request_id)
        assert len(given) == 3


def test_json_log_lines_parse_and_carry_the_fields(api: ApiProcess) -> None:
    assert requests.get(api.url("/api/v1/config"), timeout=10).status_code == 200
    records = json_records(api.log_path)
    for record in records:
        assert {"time", "level", "service", "logger", "message", "pid"} <= record.keys(), record
        assert datetime.fromisoformat(record["time"]).utcoffset().total_seconds() == 0
    assert {record["service"] for record in records} == {"api", "gunicorn"}  # gunicorn's master too
    settings = next(record["settings"] for record in records if record["message"] == "api settings")
    assert "LOG_FORMAT=json (default: text; text (readable lines) or json (one object per line))" in settings


def test_no_api_key_password_or_cookie_reaches_the_logs(api: ApiProcess, admin: AdminProcess,
                                                        keys: dict[str, str]) -> None:
    key = keys["recognition"]
    assert requests.get(api.url("/api/v1/recognition/subjects"), headers={"x-api-key": key},
                        timeout=10).status_code == 200
    static = requests.get(api.url(f"/api/v1/static/{key}/images/{uuid.uuid4()}"), timeout=10)  # the key in the path
    assert static.status_code < 500
    password = f"secret-{uuid.uuid4().hex}"
    browser = HttpClient(admin.base)
    browser.sign_up("ops@example.org", password)
    browser.sign_in("ops@example.org", password)
    assert browser.get("/apps").status == 200
    secrets = {"API key": key, "password": password, "session cookie": browser.session.cookies["likeness_session"],
               "CSRF cookie": browser.session.cookies["csrf_token"]}

    api_log, admin_log = api.log_path.read_text(), admin.log_path.read_text()
    assert f"GET /api/v1/static/<api-key>/images/<image_id> {static.status_code}" in api_log  # masked route
    assert "POST /admin/sign-in 200" in admin_log and "GET /admin/apps 200" in admin_log
    for what, secret in secrets.items():
        assert secret not in api_log and secret not in admin_log, f"the {what} is in a log"

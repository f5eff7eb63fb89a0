"""A recognition service's own settings through the admin API: similarity threshold (a number or
auto), stranger target and minimum quality; defaults, changes, refusals and who may change them."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from tests.admin.client import FlaskClient

DEFAULTS = {"similarityThreshold": None, "strangerTarget": 0.01, "minQuality": None}


def _service(owner: FlaskClient, kind: str = "RECOGNITION") -> str:
    app_id = owner.post("/apps", {"name": f"app-{uuid.uuid4().hex[:8]}"}).ok(201)["id"]
    service = owner.post(f"/apps/{app_id}/services", {"name": "faces", "type": kind}).ok(201)
    return f"/apps/{app_id}/services/{service['id']}/settings"


def test_settings_start_at_their_defaults_and_change_one_at_a_time(owner: FlaskClient) -> None:
    settings = _service(owner)
    assert owner.get(settings).ok() == DEFAULTS
    assert owner.put(settings, {"similarityThreshold": 0.62}).ok() == {**DEFAULTS, "similarityThreshold": 0.62}
    changed = owner.put(settings, {"similarityThreshold": "AUTO", "strangerTarget": 0.005, "minQuality": 0}).ok()
    assert changed == {"similarityThreshold": "auto", "strangerTarget": 0.005, "minQuality": 0.0}
    assert owner.get(settings).ok() == changed
    back = owner.put(settings, {"similarityThreshold": None, "minQuality": None}).ok()
    assert back == {**DEFAULTS, "strangerTarget": 0.005}


@pytest.mark.parametrize("body, field", [
    ({"similarityThreshold": 1.5}, "similarityThreshold"),
    ({"similarityThreshold": "sometimes"}, "similarityThreshold"),
    ({"similarityThreshold": True}, "similarityThreshold"),
    ({"strangerTarget": 0}, "strangerTarget"),
    ({"strangerTarget": 1}, "strangerTarget"),
    ({"strangerTarget": None}, "strangerTarget"),
    ({"minQuality": -0.1}, "minQuality"),
    ({"minQuality": "high"}, "minQuality"),
    ({"threshold": 0.5}, "Unknown settings: threshold"),
])
def test_bad_settings_are_refused_with_code_26_and_change_nothing(owner: FlaskClient, body: dict, field: str) -> None:
    settings = _service(owner)
    assert field in owner.put(settings, body).error(400, 26)
    assert owner.get(settings).ok() == DEFAULTS


def test_only_recognition_services_have_these_settings(owner: FlaskClient) -> None:
    settings = _service(owner, "DETECTION")
    assert "recognition services only" in owner.put(settings, {"minQuality": 0.5}).error(400, 26)


def test_a_member_who_may_not_manage_services_cannot_change_them(app: Flask, owner: FlaskClient) -> None:
    settings = _service(owner)
    app_id = settings.split("/")[2]
    FlaskClient(app).sign_up("viewer@example.org")
    owner.post(f"/apps/{app_id}/members", {"email": "viewer@example.org", "role": "USER"}).ok(201)
    viewer = FlaskClient(app)
    viewer.sign_in("viewer@example.org")
    assert viewer.get(settings).ok() == DEFAULTS
    viewer.put(settings, {"minQuality": 0.9}).error(403, 9)
    assert owner.get(settings).ok() == DEFAULTS


def test_numbers_are_kept_to_six_significant_digits(owner: FlaskClient) -> None:
    settings = _service(owner)
    changed = owner.put(settings, {"similarityThreshold": 0.9037826420181354, "strangerTarget": 1.175494351e-38}).ok()
    assert changed["similarityThreshold"] == 0.903783 and changed["strangerTarget"] == pytest.approx(1.175494351e-38)

"""admin/swagger/openapi.json against the admin's routes: valid, complete, and honest about which
calls need no session."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from openapi_spec_validator import validate

from tests.admin.test_permissions import PUBLIC_ENDPOINTS

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "admin" / "swagger" / "openapi.json").read_text())
SWAGGER_ENDPOINTS = {"infrastructure.swagger_ui", "infrastructure.swagger"}


def _routes(app: Flask) -> dict[tuple[str, str], str]:
    """(method, documented path) -> endpoint; documented paths are relative to /admin."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SWAGGER_ENDPOINTS or rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix("/admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(method.lower(), path)] = rule.endpoint
    return found


def _operations() -> dict[tuple[str, str], dict]:
    return {(method, path): operation for path, item in DOCUMENT["paths"].items()
            for method, operation in item.items()}


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)


def test_every_route_is_documented_and_nothing_else(app: Flask) -> None:
    assert set(_routes(app)) == set(_operations())


def test_path_parameters_match_the_routes() -> None:
    for (_, path), operation in _operations().items():
        declared = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_public_calls_are_documented_without_a_session(app: Flask) -> None:
    default = DOCUMENT["security"]
    for key, endpoint in _routes(app).items():
        security = _operations()[key].get("security", default)
        needs_session = any("session" in requirement for requirement in security)
        assert needs_session == (endpoint not in PUBLIC_ENDPOINTS), key

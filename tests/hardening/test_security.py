"""Security through the gateway of a platform with two api servers: tenancy (a key reaches its own
service's collection only; a key of another type gets code 10 on every route), deleted and replaced
keys stop working at once on every api server, and no password or API key reaches any log file.

Covered elsewhere and not repeated here: the admin permission matrix (tests/admin/test_permissions.py),
CSRF, cookie flags and sign-out (tests/admin/test_process.py), session expiry and revocation
(tests/admin/test_accounts.py), slowed-down sign-in (tests/admin/test_throttle.py), and image URLs
to private, loopback and link-local addresses (tests/api/test_image_input.py).
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from runner.platform import LocalPlatform
from tests.admin.client import HttpClient
from tests.hardening import images
from tests.hardening.client import Api, error_of
from tests.hardening.figures import record
from tests.support.database import create_services
from tests.support.paths import PROJECT_ROOT

PASSWORD = "hardening-secret-phrase-7431"
API_DOCUMENT = json.loads((PROJECT_ROOT / "api" / "swagger" / "openapi.json").read_text())
SECRETS: set[str] = {PASSWORD}
"""Everything no log may contain: the password and every API key this module used (all added below)."""
FIGURES: dict[str, object] = {}


def _keys(platform: LocalPlatform, application: str) -> dict[str, str]:
    keys = create_services(platform.database_url, application)
    SECRETS.update(keys.values())
    return keys


@pytest.fixture(scope="module")
def tenants(hardened: LocalPlatform) -> tuple[Api, Api]:
    """Two applications' services; each recognition service has one subject with one face."""
    first, second = Api(hardened.url, _keys(hardened, "Tenant A")), Api(hardened.url, _keys(hardened, "Tenant B"))
    for api, name in ((first, "Jacques_Chirac"), (second, "Gerhard_Schroeder")):
        answer = api.call("POST", "/api/v1/recognition/faces", params={"subject": name},
                          files={"file": ("f.jpg", images.person(name))})
        assert answer.status_code == 201, answer.text
    return first, second


def test_a_key_reaches_its_own_collection_only(tenants: tuple[Api, Api]) -> None:
    mine, theirs = tenants
    their_face = theirs.collection().faces[0][0]
    before = theirs.collection()
    mine_before = mine.collection()
    attempts = [  # (what, method, path, keyword arguments, answer as (status, code))
        ("delete their face", "DELETE", f"/api/v1/recognition/faces/{their_face}", {}, (404, 44)),
        ("verify against their face", "POST", f"/api/v1/recognition/faces/{their_face}/verify",
         {"files": {"file": ("p.jpg", images.person("Gerhard_Schroeder", 2))}}, (404, 44)),
        ("verify embeddings against their face", "POST", f"/api/v1/recognition/embeddings/faces/{their_face}/verify",
         {"json": {"embeddings": [[0.1] * 512]}}, (404, 44)),
        ("delete their faces in bulk", "POST", "/api/v1/recognition/faces/delete", {"json": [their_face]}, (200, None)),
        ("rename their subject", "PUT", "/api/v1/recognition/subjects/Gerhard_Schroeder", {"json": {"subject": "X"}},
         (404, 42)),
        ("delete their subject", "DELETE", "/api/v1/recognition/subjects/Gerhard_Schroeder", {}, (404, 42)),
        ("delete their subject's faces", "DELETE", "/api/v1/recognition/faces",
         {"params": {"subject": "Gerhard_Schroeder"}}, (200, None)),
        ("download their face image", "GET", f"/api/v1/recognition/faces/{their_face}/img", {}, (200, None)),
    ]
    wrong = []
    for what, method, path, kwargs, expected in attempts:
        response = mine.call(method, path, **kwargs)
        if error_of(response)[:2] != expected or (method == "GET" and response.content):
            wrong.append(f"{what}: {error_of(response)}")
    static = mine.call("GET", f"/api/v1/static/{mine.keys['recognition']}/images/{their_face}", None)
    recognized = mine.call("POST", "/api/v1/recognition/recognize", params={"prediction_count": -1},
                           files={"file": ("p.jpg", images.person("Gerhard_Schroeder", 2))}).json()
    FIGURES["tenancy attempts"] = len(attempts) + 2
    assert wrong == [], "\n".join(wrong)
    assert static.status_code == 200 and static.content == b""
    assert {found["subject"] for found in recognized["result"][0]["subjects"]} == {"Jacques_Chirac"}
    assert (mine.collection(), theirs.collection()) == (mine_before, before)
    # Emptying one's own collection leaves the other's alone.
    assert mine.call("DELETE", "/api/v1/recognition/subjects").json() == {"deleted": 1}
    assert theirs.collection() == before


def _key_checked_operations() -> list[tuple[str, str, str]]:
    """(method, path, service type) of every documented operation that takes an x-api-key."""
    operations = []
    for path, item in API_DOCUMENT["paths"].items():
        for method, operation in item.items():
            if operation.get("security") == [] or "{api_key}" in path:
                continue
            kind = next((kind for kind in ("recognition", "detection", "verification") if f"/{kind}/" in path), None)
            if kind is None:  # /health, /ready, /status: no key
                continue
            operations.append((method.upper(), path.format(subject="Nobody", image_id=uuid.uuid4()), kind))
    return operations


@pytest.mark.parametrize(("method", "path", "kind"), _key_checked_operations(), ids=lambda value: str(value))
def test_a_key_of_another_type_gets_code_10(tenants: tuple[Api, Api], method: str, path: str, kind: str) -> None:
    api = tenants[0]
    for other in {"recognition", "detection", "verification"} - {kind}:
        response = api.call(method, path, other)
        assert error_of(response)[:2] == (404, 10), (other, error_of(response))
        assert error_of(response)[2] == f"{kind.capitalize()} service with API Key {api.keys[other]} not found"
    FIGURES["wrong-type key checks"] = int(FIGURES.get("wrong-type key checks", 0)) + 2


@pytest.fixture(scope="module")
def owner(hardened: LocalPlatform) -> HttpClient:
    browser = HttpClient(hardened.url)
    browser.sign_up("owner@example.org", PASSWORD)
    browser.sign_in("owner@example.org", PASSWORD)
    return browser


def _everywhere(platform: LocalPlatform, key: str) -> dict[str, tuple[int, int | None]]:
    """The answer to one listing with ``key`` from each api server and from the gateway."""
    bases = {name: f"http://{process.address}" for name, process in platform.processes.items() if name.startswith("api")}
    bases["gateway"] = platform.url
    return {name: error_of(Api(base, {"recognition": key}).call("GET", "/api/v1/recognition/subjects"))[:2]
            for name, base in bases.items()}


def test_deleted_and_replaced_keys_stop_working_at_once_everywhere(hardened: LocalPlatform, owner: HttpClient) -> None:
    app = owner.post("/apps", {"name": "Keys"}).ok(201)["id"]
    kept = owner.post(f"/apps/{app}/services", {"name": "kept", "type": "RECOGNITION"}).ok(201)
    deleted = owner.post(f"/apps/{app}/services", {"name": "deleted", "type": "RECOGNITION"}).ok(201)
    SECRETS.update({kept["apiKey"], deleted["apiKey"]})
    working = {"api-1": (200, None), "api-2": (200, None), "gateway": (200, None)}
    refused = {name: (404, 10) for name in working}
    assert _everywhere(hardened, kept["apiKey"]) == _everywhere(hardened, deleted["apiKey"]) == working

    assert owner.delete(f"/apps/{app}/services/{deleted['id']}").status == 204
    assert _everywhere(hardened, deleted["apiKey"]) == refused  # no wait: the very next request
    replaced = owner.post(f"/apps/{app}/services/{kept['id']}/key").ok()["apiKey"]
    SECRETS.add(replaced)
    assert _everywhere(hardened, kept["apiKey"]) == refused
    assert _everywhere(hardened, replaced) == working
    FIGURES["key changes checked on every api server and the gateway"] = 2


def test_no_password_or_api_key_in_any_log(hardened: LocalPlatform, tenants: tuple[Api, Api],
                                           owner: HttpClient) -> None:
    """After sign-ups, sign-ins (a wrong password too), keys used, refused, replaced and deleted, and a
    static image URL (the key in its path), at DEBUG level: no log file holds a secret."""
    HttpClient(hardened.url).post("/sign-in", {"email": "owner@example.org", "password": PASSWORD + "-wrong"})
    api = tenants[1]
    face = api.collection().faces[0][0]
    assert requests.get(f"{hardened.url}/api/v1/static/{api.keys['recognition']}/images/{face}", timeout=10).content
    Api(hardened.url, {"recognition": str(uuid.uuid4())}).call("GET", "/api/v1/recognition/subjects")
    logs = sorted((hardened.options.run_dir / "logs").glob("*.log"))
    assert {path.stem for path in logs} >= {"gateway", "api-1", "api-2", "admin", "core-1"}
    leaks = [f"{path.name}: {line[:160]}" for path in logs for line in path.read_text(errors="replace").splitlines()
             if any(secret in line for secret in SECRETS)]
    lines = sum(len(path.read_text(errors="replace").splitlines()) for path in logs)
    record("security", "logs", files=[path.name for path in logs], lines=lines, secrets_looked_for=len(SECRETS),
           leaks=len(leaks))
    record("security", "tenancy and keys", **FIGURES)
    assert leaks == [], "\n".join(leaks[:20])

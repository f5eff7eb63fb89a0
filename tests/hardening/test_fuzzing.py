"""Fuzzing: schemathesis generates requests from the OpenAPI documents (valid ones and invalid ones) and
sends them to a running api server (with a valid key) and admin server (signed in, with the CSRF
header). No answer may be a server error, and every answer must match its documented status, content
type and schema.

Default: up to 50 examples per operation and mode, from a fixed seed (the same requests every run).
LIKENESS_LONG_TESTS=1: up to 500, from a random seed (about 10 minutes).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.admin.client import HttpClient
from tests.hardening import images
from tests.hardening.figures import LONG_RUN, record
from tests.support.admin_process import AdminProcess
from tests.support.api_process import ApiProcess
from tests.support.core_process import CoreProcess
from tests.support.database import create_services
from tests.support.paths import PROJECT_ROOT

API_SCHEMA = schemathesis.openapi.from_path(PROJECT_ROOT / "api" / "swagger" / "openapi.json")
ADMIN_SCHEMA = schemathesis.openapi.from_path(PROJECT_ROOT / "admin" / "swagger" / "openapi.json")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 500 if LONG_RUN else 50
# gunicorn answers a request line longer than this itself, with an HTML 414, before any application
# sees it (and nginx, in front, does the same above its own limit): not an answer of the API.
GUNICORN_REQUEST_LINE_LIMIT = 4094
# Operations that end the sessions of the user who calls them: each example is sent in a new session of
# another user, so that the owner's session, used by every other operation, stays valid.
SESSION_ENDING = {"POST /sign-out", "DELETE /me/sessions"}
# Fewer examples where each costs a password hash (argon2, slow by design) or a sign-in; these take
# little or no input, so a few examples cover them.
FEWER_EXAMPLES = {"POST /sign-out": 5, "DELETE /me/sessions": 5, "PUT /me/password": 15, "POST /sign-in": 15,
                  "POST /sign-up": 15, "POST /users": 15}
PASSWORD = "fuzzing is a long password"
OWNER, OTHER = "fuzz-owner@example.org", "fuzz-other@example.org"


def _operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


@dataclass
class Tally:
    operations: int = 0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    request_line_too_long: int = 0
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fuzz(operation: schemathesis.APIOperation, call: Callable[[schemathesis.Case], tuple[requests.Response, dict]],
         tally: Tally, known: dict[str, str]) -> list[str]:
    """Every finding of up to ``EXAMPLES`` valid and as many invalid requests to ``operation``, one line each.
    The valid ones name existing objects in their path (``known``: path parameter -> value), so that
    their bodies and queries reach real objects rather than a 404."""
    findings: dict[str, str] = {}
    started = time.monotonic()
    examples = min(EXAMPLES, FEWER_EXAMPLES.get(operation.label, EXAMPLES))
    existing = {name: value for name, value in known.items() if f"{{{name}}}" in operation.path}
    for mode, path_parameters in ((GenerationMode.POSITIVE, existing), (GenerationMode.NEGATIVE, None)):

        @hypothesis.settings(max_examples=examples, deadline=None, derandomize=not LONG_RUN, database=None,
                             phases=[hypothesis.Phase.generate], suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
        def run(case: schemathesis.Case) -> None:
            response, headers = call(case)
            tally.requests += 1
            tally.statuses[str(response.status_code)] += 1
            if response.status_code == 414 and len(response.request.url) > GUNICORN_REQUEST_LINE_LIMIT:
                tally.request_line_too_long += 1
                return
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Failure, FailureGroup) as failure:
                kinds = [line for line in str(failure).splitlines() if line.startswith("- ")]
                reproduce = case.as_curl_command(headers=headers)
                findings.setdefault(" ".join(kinds), f"{response.status_code}: {reproduce}\n{response.text[:300]}")

        try:
            run()
        except Unsatisfiable:  # nothing invalid to make: the operation takes no input
            pass
    tally.operations += 1
    tally.seconds += time.monotonic() - started
    lines = [f"{kind} {example}" for kind, example in findings.items()]
    tally.findings += [f"{operation.label}: {line}" for line in lines]
    return lines


@pytest.fixture(scope="module")
def api_tally() -> Iterator[Tally]:
    tally = Tally()
    yield tally
    _record("api", tally)


@pytest.fixture(scope="module")
def admin_tally() -> Iterator[Tally]:
    tally = Tally()
    yield tally
    _record("admin", tally)


def _record(name: str, tally: Tally) -> None:
    record("fuzzing", name, operations=tally.operations, examples_per_operation_and_mode=EXAMPLES,
           requests=tally.requests, statuses=tally.statuses,
           server_errors=sum(n for status, n in tally.statuses.items() if int(status) >= 500),
           findings=tally.findings, request_line_too_long=tally.request_line_too_long,
           seconds=round(tally.seconds, 1))


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory: pytest.TempPathFactory, database_url: str, core: CoreProcess) -> Iterator[ApiProcess]:
    """An api server of its own; image URLs time out after 1 s (a generated URL may name an unreachable host)."""
    server = ApiProcess(tmp_path_factory.mktemp("fuzz-api") / "api.log", database_url, core.address,
                        image_url_timeout_s=1).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fuzz_keys(database_url: str) -> dict[str, str]:
    return create_services(database_url, "Fuzzing")


@pytest.mark.parametrize("operation", _operations(API_SCHEMA), ids=lambda operation: operation.label)
def test_api(fuzzed_api: ApiProcess, fuzz_keys: dict[str, str], api_tally: Tally,
             operation: schemathesis.APIOperation) -> None:
    kind = next((kind for kind in ("verification", "detection") if f"/{kind}/" in operation.path), "recognition")
    session = requests.Session()
    headers = {"x-api-key": fuzz_keys[kind]}
    subject = f"Fuzzed {uuid.uuid4().hex[:8]}"
    face = session.post(fuzzed_api.url("/api/v1/recognition/faces"), params={"subject": subject}, headers={
        "x-api-key": fuzz_keys["recognition"]}, files={"file": ("f.jpg", images.person())}, timeout=60).json()

    def call(case: schemathesis.Case) -> tuple[requests.Response, dict]:
        return case.call(base_url=fuzzed_api.base, session=session, headers=headers, timeout=30), headers

    known = {"subject": subject, "image_id": face["image_id"], "api_key": fuzz_keys["recognition"]}
    findings = fuzz(operation, call, api_tally, known)
    assert findings == [], "\n".join(findings)


@pytest.fixture(scope="module")
def fuzzed_admin(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[AdminProcess]:
    """An admin server of its own; the generated sign-ins (all failing) do not lock this client out (the
    lock is tested in tests/admin/test_throttle.py), so that session-ending operations can sign in again."""
    server = AdminProcess(tmp_path_factory.mktemp("fuzz-admin") / "admin.log", database_url, python_url="",
                          sign_in_free_failures_per_client=1_000_000).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def owner(fuzzed_admin: AdminProcess) -> HttpClient:
    browser = HttpClient(fuzzed_admin.base)
    browser.sign_up(OWNER, PASSWORD)
    browser.sign_up(OTHER, PASSWORD)
    browser.sign_in(OWNER, PASSWORD)
    return browser


@pytest.mark.parametrize("operation", _operations(ADMIN_SCHEMA), ids=lambda operation: operation.label)
def test_admin(fuzzed_admin: AdminProcess, owner: HttpClient, admin_tally: Tally,
               operation: schemathesis.APIOperation) -> None:

    def call(case: schemathesis.Case) -> tuple[requests.Response, dict]:
        browser = owner
        if operation.label in SESSION_ENDING:
            browser = HttpClient(fuzzed_admin.base)
            browser.sign_in(OTHER, PASSWORD)
        headers = {"X-CSRF-Token": browser.csrf_cookie()}
        return case.call(base_url=fuzzed_admin.url(""), session=browser.session, headers=headers, timeout=30), headers

    app = owner.post("/apps", {"name": f"Fuzzed {uuid.uuid4().hex[:8]}"}).ok(201)["id"]
    service = owner.post(f"/apps/{app}/services", {"name": "fuzzed", "type": "RECOGNITION"}).ok(201)["id"]
    other = next(user["userId"] for user in owner.get("/users").ok() if user["email"] == OTHER)
    findings = fuzz(operation, call, admin_tally, {"app_guid": app, "service_guid": service, "user_guid": other})
    assert findings == [], "\n".join(findings)
    assert owner.get("/me").status == 200, "the owner's session ended: later operations would be fuzzed signed out"

"""A real admin server (gunicorn): cookie flags, CSRF, sign-out, what it logs, health and Swagger UI."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
import requests
from sqlalchemy import text

from tests.admin.client import HttpClient
from tests.support.admin_process import AdminProcess

SECRET = "unusual-secret-phrase-31337"


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[AdminProcess]:
    server = AdminProcess(tmp_path_factory.mktemp("admin") / "admin.log", database_url, log_level="DEBUG",
                          secure_cookies="true", python_url="").wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def owner(admin: AdminProcess) -> HttpClient:
    browser = HttpClient(admin.base)
    browser.sign_up("owner@example.org", SECRET)
    return browser


def _cookies(set_cookies: list[str]) -> dict[str, dict[str, str]]:
    """Set-Cookie headers by cookie name: value and attributes (flags as "true")."""
    parsed = {}
    for header in set_cookies:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            attributes = {key: (str(value) if value is not True else "true") for key, value in morsel.items() if value}
            parsed[name] = {"value": morsel.value, **attributes}
    return parsed


def test_sign_in_sets_strict_http_only_secure_cookies(admin: AdminProcess, owner: HttpClient) -> None:
    answer = owner.post("/sign-in", {"email": "owner@example.org", "password": SECRET})
    assert answer.status == 200
    cookies = _cookies(answer.set_cookies)
    session, csrf = cookies["likeness_session"], cookies["csrf_token"]
    assert (session["httponly"], session["samesite"], session["path"], session["secure"]) == \
        ("true", "Strict", "/admin", "true")
    assert session["max-age"] == str(12 * 3600)
    assert "httponly" not in csrf and (csrf["samesite"], csrf["path"], csrf["secure"]) == ("Strict", "/", "true")


def _signed_in(admin: AdminProcess) -> tuple[HttpClient, str, str]:
    """A new browser signed in as the owner, with its raw session and CSRF cookies."""
    browser = HttpClient(admin.base)
    answer = browser.post("/sign-in", {"email": "owner@example.org", "password": SECRET})
    cookies = _cookies(answer.set_cookies)
    return browser, cookies["likeness_session"]["value"], cookies["csrf_token"]["value"]


def _create_app(admin: AdminProcess, name: str, cookies: dict[str, str], header: str | None) -> requests.Response:
    headers = {} if header is None else {"X-CSRF-Token": header}
    return requests.post(admin.url("/apps"), json={"name": name}, cookies=cookies, headers=headers, timeout=10)


def _refused(response: requests.Response) -> None:
    assert response.status_code == 403 and response.json() == {
        "message": "Missing or wrong X-CSRF-Token header (GET /admin/csrf gives the token)", "code": 53}


def test_state_changes_need_the_csrf_header(admin: AdminProcess, owner: HttpClient) -> None:
    _, session, csrf = _signed_in(admin)
    _refused(_create_app(admin, "No header", {"likeness_session": session, "csrf_token": csrf}, None))
    _refused(_create_app(admin, "Wrong", {"likeness_session": session, "csrf_token": csrf}, "forged"))
    _refused(_create_app(admin, "Latin-1", {"likeness_session": session, "csrf_token": csrf}, "forg\u00e9"))
    _refused(_create_app(admin, "No cookie", {"likeness_session": session}, csrf))
    # Cookie and header agree, but are not the session's token (a cookie planted by another site).
    _refused(_create_app(admin, "Planted", {"likeness_session": session, "csrf_token": "planted"}, "planted"))
    assert _create_app(admin, "Right", {"likeness_session": session, "csrf_token": csrf}, csrf).status_code == 201
    assert requests.get(admin.url("/apps"), cookies={"likeness_session": session}, timeout=10).status_code == 200
    # Signing in needs the token too (login CSRF).
    HttpClient(admin.base).call("POST", "/sign-in", {"email": "owner@example.org", "password": SECRET},
                                csrf=False).error(403, 53)


def test_a_signed_out_session_cookie_no_longer_works(admin: AdminProcess, owner: HttpClient) -> None:
    browser, session, csrf = _signed_in(admin)
    assert browser.get("/me").status == 200
    answer = browser.post("/sign-out")
    assert answer.status == 204 and _cookies(answer.set_cookies)["likeness_session"]["value"] == ""
    replay = requests.get(admin.url("/me"), cookies={"likeness_session": session}, timeout=10)
    assert replay.status_code == 401 and replay.json()["code"] == 50
    replay = requests.post(admin.url("/apps"), json={"name": "Replayed"}, headers={"X-CSRF-Token": csrf},
                           cookies={"likeness_session": session, "csrf_token": csrf}, timeout=10)
    assert replay.status_code in (401, 403)


def test_passwords_are_neither_stored_nor_logged(admin: AdminProcess, owner: HttpClient, sessions) -> None:
    _signed_in(admin)
    HttpClient(admin.base).post("/sign-in", {"email": "owner@example.org", "password": SECRET + "-wrong"})
    log = admin.log_path.read_text(errors="replace")
    assert "Failed sign-in of owner@example.org" in log  # DEBUG logging is on and names who signed in
    assert SECRET not in log
    with sessions() as db:
        dump = " ".join(str(row) for row in db.execute(text("SELECT * FROM users")))
    assert SECRET not in dump and "$argon2id$" in dump


def test_health_ready_and_swagger(admin: AdminProcess) -> None:
    assert requests.get(admin.url("/health"), timeout=10).json() == {"status": "OK"}
    assert requests.get(admin.url("/ready"), timeout=10).json() == {"ready": True, "database": True}
    page = requests.get(admin.url("/swagger/"), timeout=10)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert requests.get(admin.url("/swagger/swagger-ui-bundle.js"), timeout=10).status_code == 200
    document = requests.get(admin.url("/swagger/openapi.json"), timeout=10).json()
    assert document["info"]["title"].startswith("Likeness admin")

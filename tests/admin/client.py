"""Calls the admin API as the web UI does: cookies kept, the ``csrf_token`` cookie repeated in the
``X-CSRF-Token`` header of every state-changing call. Over Flask's test client or real HTTP."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import Flask

PASSWORD = "correct horse battery"


@dataclass
class Answer:
    status: int
    body: object
    headers: dict[str, str]
    set_cookies: list[str]

    def ok(self, status: int = 200) -> object:
        """The body, after checking the status."""
        assert self.status == status, (self.status, self.body)
        return self.body

    def error(self, status: int, code: int) -> str:
        """The error's message, after checking the status and CompreFace's error shape."""
        assert self.status == status, (self.status, self.body)
        assert isinstance(self.body, dict) and list(self.body) == ["message", "code"], self.body
        assert self.body["code"] == code, self.body
        return self.body["message"]


class AdminClient:
    """One browser. ``call`` adds the CSRF header to ``headers`` unless ``csrf=False``."""

    def csrf_cookie(self) -> str | None:
        raise NotImplementedError

    def _send(self, method: str, path: str, json: object, headers: dict[str, str]) -> Answer:
        raise NotImplementedError

    def call(self, method: str, path: str, json: object = None, *, csrf: bool = True,
             headers: dict[str, str] | None = None) -> Answer:
        headers = dict(headers or {})
        if csrf and method.upper() != "GET":
            if self.csrf_cookie() is None:
                self.call("GET", "/csrf").ok()
            headers["X-CSRF-Token"] = self.csrf_cookie()
        return self._send(method.upper(), f"/admin{path}", json, headers)

    def get(self, path: str) -> Answer:
        return self.call("GET", path)

    def post(self, path: str, json: object = None) -> Answer:
        return self.call("POST", path, {} if json is None else json)

    def put(self, path: str, json: object = None) -> Answer:
        return self.call("PUT", path, {} if json is None else json)

    def delete(self, path: str) -> Answer:
        return self.call("DELETE", path)

    def sign_up(self, email: str, password: str = PASSWORD, **names: str) -> dict:
        return self.post("/sign-up", {"email": email, "password": password, **names}).ok(201)

    def sign_in(self, email: str, password: str = PASSWORD) -> dict:
        return self.post("/sign-in", {"email": email, "password": password}).ok()


class FlaskClient(AdminClient):
    def __init__(self, app: Flask, address: str = "127.0.0.1") -> None:
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address

    def csrf_cookie(self) -> str | None:
        cookie = self.client.get_cookie("csrf_token")
        return None if cookie is None else cookie.value

    def _send(self, method: str, path: str, json: object, headers: dict[str, str]) -> Answer:
        response = self.client.open(path, method=method, json=json, headers=headers)
        body = response.get_json(silent=True) if response.data else None
        return Answer(response.status_code, body, dict(response.headers), response.headers.getlist("Set-Cookie"))


class HttpClient(AdminClient):
    """Over real HTTP to ``base``. The server may mark cookies Secure (SECURE_COOKIES, as behind a
    gateway that terminates TLS): this browser keeps sending them over plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def csrf_cookie(self) -> str | None:
        return self.session.cookies.get("csrf_token")

    def _send(self, method: str, path: str, json: object, headers: dict[str, str]) -> Answer:
        response = self.session.request(method, f"{self.base}{path}", json=json, headers=headers, timeout=30)
        for cookie in self.session.cookies:
            cookie.secure = False
        body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
        set_cookies = response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []
        return Answer(response.status_code, body, dict(response.headers), set_cookies)

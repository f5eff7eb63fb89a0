"""A client of the REST API for the hardening tests: one key per service type, CompreFace's error shape,
and a snapshot of a recognition service's collection (to prove that a refused write changed nothing)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Collection:
    subjects: tuple[str, ...]
    faces: tuple[tuple[str, str], ...]  # (image_id, subject), sorted


class Api:
    """``base`` is the gateway's or an api server's address; ``keys`` maps service type to API key."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        self.base = base.rstrip("/")
        self.keys = keys
        self.session = requests.Session()

    def call(self, method: str, path: str, service: str | None = "recognition", timeout: float = 60,
             **kwargs: object) -> requests.Response:
        """One request; ``service`` names the key sent in x-api-key (None: no key)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if service is not None:
            headers["x-api-key"] = self.keys[service]
        return self.session.request(method, f"{self.base}{path}", headers=headers, timeout=timeout, **kwargs)

    def collection(self, service: str = "recognition") -> Collection:
        subjects = self.call("GET", "/api/v1/recognition/subjects", service)
        faces = self.call("GET", "/api/v1/recognition/faces", service, params={"size": 100_000})
        assert subjects.status_code == 200 and faces.status_code == 200, (subjects.text, faces.text)
        return Collection(tuple(sorted(subjects.json()["subjects"])),
                          tuple(sorted((face["image_id"], face["subject"]) for face in faces.json()["faces"])))


def error_of(response: requests.Response) -> tuple[int, int | None, str]:
    """(HTTP status, CompreFace code, message); code None and the text's start when the body is not
    CompreFace's ``{"message", "code"}``."""
    try:
        body = response.json()
    except ValueError:
        return response.status_code, None, response.text[:200]
    if isinstance(body, dict) and list(body) == ["message", "code"]:
        return response.status_code, body["code"], body["message"]
    return response.status_code, None, response.text[:200]


def wait_healthy(base: str, timeout: float = 90) -> None:
    """Until ``base``/health answers 200 (a server whose core is unreachable is never /ready)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{base}/health did not answer 200 within {timeout} s"
        time.sleep(0.2)
